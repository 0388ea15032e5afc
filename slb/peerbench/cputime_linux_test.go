package peerbench

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time the process has used, in all threads:
// cilium computes permutations on a worker pool, so the benchmark
// goroutine's own thread would not see all of its work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTime reports, as cpu-ns/op, the CPU time the process used per
// operation, which a machine loaded with other work inflates less than
// the wall-clock ns/op. Call it at the start of a benchmark function and
// call the function it returns at the end.
func cpuTime(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
