package maglev

import (
	"sync"
	"sync/atomic"
)

// Current holds the table in use and publishes replacements atomically:
// readers call Load (one atomic load, no lock) and keep using the table
// they got for as long as they like, while Update builds the next table
// and swaps it in. Updates are serialised with each other. The zero value
// holds no table.
type Current struct {
	mu sync.Mutex // serialises Update and Store
	p  atomic.Pointer[Table]
}

// Load returns the published table, or nil if none has been published (a
// nil *Table is a valid, empty table).
func (c *Current) Load() *Table {
	return c.p.Load()
}

// Store publishes t.
func (c *Current) Store(t *Table) {
	c.mu.Lock()
	c.p.Store(t)
	c.mu.Unlock()
}

// Update builds a table for backends, of the published table's size (or
// DefaultSize if there is none), publishes it, and returns how many slots
// changed owner (see Moved). On error the published table is kept.
func (c *Current) Update(backends []Backend) (moved int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.p.Load()
	size := prev.Size()
	next, err := New(size, backends)
	if err != nil {
		return 0, err
	}
	c.p.Store(next)
	return Moved(prev, next), nil
}
