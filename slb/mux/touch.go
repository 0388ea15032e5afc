//go:build !race

package mux

// touch loads the first word of hash's two buckets and returns their
// sum, to start their cache misses early (Go has no prefetch
// instruction). The loads race with writers on purpose: their values are
// thrown away. The race detector build leaves them out (touch_race.go).
func (t *flowTable) touch(hash uint64) uint64 {
	s := &t.shards[hash&t.shardMask]
	return s.buckets[(hash>>t.shardBits)&s.mask][0].tag + s.buckets[(hash>>40)&s.mask][0].tag
}
