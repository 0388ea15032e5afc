//go:build !linux

package nat

func threadCPU() int64 { return 0 }
func lockThread()      {}
func unlockThread()    {}
