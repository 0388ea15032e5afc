package nat

import (
	"runtime"
	"syscall"
)

// rusageThread is RUSAGE_THREAD from <sys/resource.h>.
const rusageThread = 1

// threadCPU returns the CPU time the calling OS thread has used, in
// nanoseconds. On a shared, overloaded machine wall-clock ns/op mostly
// measures waiting for a core; thread CPU time measures the work.
func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }
