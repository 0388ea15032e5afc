//go:build race

package lab_test

// The race detector slows the fabric's data path about tenfold: tests
// that move a fixed amount of data move less under it.
const raceEnabled = true
