// Package benchcpu reports the CPU time a benchmark's goroutine used per
// operation (cpu-ns/op) beside the wall-clock ns/op, which on a machine
// shared with other work also counts the time the thread waited for a
// core. It implements no RFC; the slb packages' benchmarks use it.
package benchcpu
