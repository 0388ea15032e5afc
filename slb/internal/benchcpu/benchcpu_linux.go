package benchcpu

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time the calling thread has used.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Start locks the benchmark's goroutine to its thread and returns the
// function to call at the end of the benchmark, which reports cpu-ns/op.
func Start(b *testing.B) func() {
	return StartPer(b, 1, "op")
}

// StartPer is Start for a benchmark whose op is n smaller operations
// (unit, such as "lookup"): it reports cpu-ns/unit, the CPU time of one
// of them.
func StartPer(b *testing.B, n int, unit string) func() {
	runtime.LockOSThread()
	start := threadCPU()
	return func() {
		d := threadCPU() - start
		runtime.UnlockOSThread()
		if b.N > 0 {
			b.ReportMetric(float64(d.Nanoseconds())/float64(b.N*n), "cpu-ns/"+unit)
		}
	}
}
