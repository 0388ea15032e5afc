//go:build race

package hostagent_test

// raceEnabled: the race detector makes sync.Pool drop items at random,
// so the RSTs' pooled buffers are allocated again now and then.
const raceEnabled = true
