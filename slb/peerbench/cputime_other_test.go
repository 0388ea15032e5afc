//go:build !linux

package peerbench

import (
	"testing"
	"time"
)

// cpuTime reports nothing outside Linux.
func cpuTime(*testing.B) func() { return func() {} }

// processCPU is not measured outside Linux.
func processCPU() time.Duration { return 0 }
