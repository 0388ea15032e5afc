//go:build !linux

package peerbench

func threadCPU() int64 { return 0 }
func lockThread()      {}
func unlockThread()    {}
