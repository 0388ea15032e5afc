//go:build !linux

package benchcpu

import "testing"

// Start reports nothing where the thread's CPU time is not available.
func Start(*testing.B) func() { return func() {} }

// StartPer reports nothing where the thread's CPU time is not available.
func StartPer(*testing.B, int, string) func() { return func() {} }
