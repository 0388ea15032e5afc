//go:build race

package netsim_test

// sync.Pool drops items at random under the race detector, so allocation
// counts only mean something without it.
const raceEnabled = true
