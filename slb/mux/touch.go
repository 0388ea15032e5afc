package mux

// touch loads the first word of hash's two buckets and returns their
// sum, to start their cache misses early (Go has no prefetch
// instruction).
func (t *flowTable) touch(hash uint64) uint64 {
	s := &t.shards[hash&t.shardMask]
	return s.buckets[(hash>>t.shardBits)&s.mask][0].tag.Load() + s.buckets[(hash>>40)&s.mask][0].tag.Load()
}
