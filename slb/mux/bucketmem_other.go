//go:build !linux

package mux

// newBuckets returns n zeroed buckets.
func newBuckets(n int, _ *flowTable) []bucket { return make([]bucket, n) }
