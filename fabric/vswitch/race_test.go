//go:build race

package vswitch

// raceEnabled: the race detector makes sync.Pool drop items at random,
// so netsim allocates frames that a normal build reuses.
const raceEnabled = true
