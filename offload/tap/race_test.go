//go:build race

package tap

// raceEnabled shrinks the interop test's streams under the race detector,
// which slows the forwarder tenfold.
const raceEnabled = true
