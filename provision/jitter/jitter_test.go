package jitter

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var t0 = time.Unix(0, 0)

func TestPropertyBackoffBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := time.Duration(rapid.Int64Range(1, int64(time.Second)).Draw(t, "base"))
		capd := base * time.Duration(rapid.Int64Range(1, 1000).Draw(t, "mult"))
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
		n := rapid.IntRange(0, 200).Draw(t, "n")
		if d, _ := (FullJitter{Base: base, Cap: capd, Rand: r}).Admit(t0, n); d < 0 || d > capd {
			t.Fatalf("full jitter %v outside [0,%v]", d, capd)
		}
		if d, _ := (Exponential{Base: base, Cap: capd}).Admit(t0, n); d < 0 || d > capd || (n > 0 && d < base) {
			t.Fatalf("exponential %v", d)
		}
		dec := &Decorrelated{Base: base, Cap: capd, Rand: r}
		for i := range n {
			d, _ := dec.Admit(t0, i)
			if i > 0 && (d < base || d > capd) {
				t.Fatalf("decorrelated %v outside [%v,%v]", d, base, capd)
			}
		}
		w := Window{Min: time.Second, Max: 300 * time.Second, Rand: r}
		if d, _ := w.Admit(t0, 0); d < time.Second || d > 300*time.Second {
			t.Fatalf("window %v", d)
		}
	})
}

// Property: a token bucket never admits more than burst + elapsed/every
// attempts by any instant.
func TestPropertyTokenBucketRate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		every := time.Duration(rapid.Int64Range(1, 1e9).Draw(t, "every"))
		burst := rapid.IntRange(1, 50).Draw(t, "burst")
		b := NewTokenBucket(every, burst)
		now := t0
		var starts []time.Time
		for _, step := range rapid.SliceOfN(rapid.Int64Range(0, 2e9), 1, 200).Draw(t, "steps") {
			now = now.Add(time.Duration(step))
			w, ok := b.Admit(now, 0)
			if !ok || w < 0 {
				t.Fatal(w, ok)
			}
			starts = append(starts, now.Add(w))
		}
		for i := range starts {
			for j := i + burst; j < len(starts); j++ {
				if starts[j].Sub(starts[i]) < time.Duration(j-i-burst+1)*every {
					t.Fatalf("admissions %d..%d too close", i, j)
				}
			}
		}
	})
}

func TestSemaphore(t *testing.T) {
	s := NewSemaphore(2)
	for range 2 {
		if _, ok := s.Admit(t0, 0); !ok {
			t.Fatal("refused")
		}
	}
	if w, ok := s.Admit(t0, 0); ok || w != 0 {
		t.Fatal("admitted third")
	}
	s.Done(t0)
	if _, ok := s.Admit(t0, 0); !ok {
		t.Fatal("refused after Done")
	}
}

func TestWaitSemaphoreConcurrent(t *testing.T) {
	s := NewSemaphore(3)
	var mu sync.Mutex
	in, peak := 0, 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := Wait(context.Background(), SystemClock{}, s, 0); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			in++
			peak = max(peak, in)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			in--
			mu.Unlock()
			s.Done(time.Now())
		})
	}
	wg.Wait()
	if peak > 3 || s.Held() != 0 {
		t.Fatalf("peak %d held %d", peak, s.Held())
	}
}

func TestWaitContextCancel(t *testing.T) {
	s := NewSemaphore(1)
	s.Admit(t0, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Wait(ctx, SystemClock{}, s, 0); err == nil {
		t.Fatal("no error")
	}
}

func TestAdmitAllocs(t *testing.T) {
	b := NewTokenBucket(time.Millisecond, 10)
	s := NewSemaphore(1 << 30)
	f := FullJitter{Base: time.Millisecond, Cap: time.Second, Rand: rand.New(rand.NewPCG(1, 2))}
	if n := testing.AllocsPerRun(100, func() {
		b.Admit(t0, 0)
		s.Admit(t0, 0)
		f.Admit(t0, 3)
	}); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

// fakeClock advances virtual time whenever a caller waits on it.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func TestWaitVirtualTime(t *testing.T) {
	clock := &fakeClock{now: t0}
	b := NewTokenBucket(10*time.Millisecond, 1)
	for range 5 {
		if err := Wait(context.Background(), clock, b, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := clock.now.Sub(t0); got != 40*time.Millisecond {
		t.Fatalf("five admissions took %v of virtual time, want 40ms", got)
	}
	w := Window{Min: time.Minute, Max: time.Minute}
	if err := Wait(context.Background(), clock, w, 0); err != nil || clock.now.Sub(t0) != 40*time.Millisecond+time.Minute {
		t.Fatal(err, clock.now.Sub(t0))
	}
}
