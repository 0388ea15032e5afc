//go:build !linux

package peerbench

import "testing"

// cpuTime reports nothing outside Linux.
func cpuTime(*testing.B) func() { return func() {} }
