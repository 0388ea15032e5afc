package maglev

import (
	"sync"
	"testing"
)

// TestCurrentConcurrent: readers look up while a writer republishes; run
// with -race.
func TestCurrentConcurrent(t *testing.T) {
	var c Current
	if c.Load().Lookup(1) != -1 {
		t.Fatal("zero Current is not empty")
	}
	if _, err := c.Update(names(10)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			h := uint64(1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				tb := c.Load()
				if i := tb.Lookup(h); i < 0 || i >= tb.Len() {
					t.Errorf("Lookup = %d with %d backends", i, tb.Len())
					return
				}
				h = h*6364136223846793005 + 1442695040888963407
			}
		})
	}
	for n := 11; n < 30; n++ {
		moved, err := c.Update(names(n))
		if err != nil {
			t.Fatal(err)
		}
		if moved <= 0 || moved > disruptionBound(DefaultSize, n) {
			t.Errorf("adding backend %d moved %d slots", n, moved)
		}
	}
	close(stop)
	wg.Wait()
	if c.Load().Len() != 29 || c.Load().Size() != DefaultSize {
		t.Errorf("published table has %d backends, size %d", c.Load().Len(), c.Load().Size())
	}
}

func TestCurrentUpdateErrorKeepsTable(t *testing.T) {
	var c Current
	c.Store(mustNew(t, 251, names(3)))
	before := c.Load()
	if _, err := c.Update([]Backend{{"a", 0}}); err == nil {
		t.Fatal("Update accepted a zero weight")
	}
	if c.Load() != before {
		t.Error("a failed Update replaced the table")
	}
	if _, err := c.Update(names(4)); err != nil || c.Load().Size() != 251 {
		t.Errorf("Update did not keep size 251: %v, %d", err, c.Load().Size())
	}
}
