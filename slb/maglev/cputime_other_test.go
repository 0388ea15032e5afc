//go:build !linux

package maglev

import "testing"

// cpuTime reports nothing where the thread's CPU time is not available.
func cpuTime(*testing.B) func() { return func() {} }
