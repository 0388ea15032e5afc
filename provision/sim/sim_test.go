package sim

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/provision"
)

var storm = Config{N: 1000, C: 20, Latency: 200 * time.Millisecond, Seed: 1}

func TestAdmissionControlMeetsTarget(t *testing.T) {
	for _, s := range []Strategy{TokenBucket(storm), Semaphore(storm)} {
		r, err := Run(storm, s)
		if err != nil {
			t.Fatal(err)
		}
		if r.Overloads != 0 || r.Ready != storm.N || r.Peak > storm.C {
			t.Errorf("%s: %d overloads, %d ready, peak %d", s.Name, r.Overloads, r.Ready, r.Peak)
		}
		if float64(r.Max) > 1.1*float64(storm.Ideal()) {
			t.Errorf("%s: max %v above 1.1 x ideal %v", s.Name, r.Max, storm.Ideal())
		}
	}
}

func TestNoWaitStorms(t *testing.T) {
	r, err := Run(storm, NoWait())
	if err != nil {
		t.Fatal(err)
	}
	if r.Peak != storm.N || r.Overloads == 0 {
		t.Fatalf("peak %d overloads %d", r.Peak, r.Overloads)
	}
}

func TestDeterministic(t *testing.T) {
	cfg := storm
	cfg.N = 300
	for _, s := range Standard(cfg) {
		a, err := Run(cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Run(cfg, s)
		opt := cmp.Comparer(func(x, y *provision.Instance) bool {
			return cmp.Equal(x.History(), y.History()) && x.Reason() == y.Reason()
		})
		if diff := cmp.Diff(a, b, opt); diff != "" {
			t.Fatalf("%s: two runs with one seed differ:\n%s", s.Name, diff)
		}
	}
	cfg.Seed = 2
	c, _ := Run(cfg, FullJitter())
	cfg.Seed = 1
	d, _ := Run(cfg, FullJitter())
	if cmp.Equal(c.Series, d.Series) {
		t.Fatal("different seeds gave identical runs")
	}
}

// Property: whatever the storm, every instance ends Ready, or Failed with a
// reason, and the counts add up.
func TestPropertyEveryInstanceEnds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := Config{
			N:           rapid.IntRange(1, 200).Draw(t, "n"),
			C:           rapid.IntRange(1, 30).Draw(t, "c"),
			Latency:     time.Duration(rapid.Int64Range(1, 1e9).Draw(t, "latency")),
			Queue:       rapid.IntRange(0, 10).Draw(t, "queue"),
			MaxAttempts: rapid.IntRange(1, 10).Draw(t, "attempts"),
			Seed:        rapid.Uint64().Draw(t, "seed"),
		}
		all := Standard(cfg)
		s := all[rapid.IntRange(0, len(all)-1).Draw(t, "strategy")]
		r, err := Run(cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range r.Instances {
			switch in.State() {
			case provision.Ready:
			case provision.Failed:
				if in.Reason() == "" {
					t.Fatalf("%s failed without a reason", in.Name)
				}
			default:
				t.Fatalf("%s ended in %v", in.Name, in.State())
			}
		}
		if r.Ready+r.Failed != cfg.N || r.Calls < cfg.N || r.Peak > cfg.N {
			t.Fatalf("ready %d failed %d calls %d peak %d", r.Ready, r.Failed, r.Calls, r.Peak)
		}
		if last := r.Series[len(r.Series)-1]; last.InFlight != 0 {
			t.Fatalf("%d requests still in flight at the end", last.InFlight)
		}
	})
}

func TestBadConfig(t *testing.T) {
	if _, err := Run(Config{N: 0, C: 1, Latency: 1}, NoWait()); err == nil {
		t.Fatal("N=0 accepted")
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	cfg := storm
	cfg.N = 100
	var rs []Result
	for _, s := range Standard(cfg) {
		r, _ := Run(cfg, s)
		rs = append(rs, r)
	}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, cfg, rs); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&buf)
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Property: the queue pops events in (at, kind, seq) order.
func TestPropertyQueueOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q queue
		for _, at := range rapid.SliceOf(rapid.Int64Range(0, 20)).Draw(t, "ats") {
			q.push(event{at: time.Duration(at), kind: eventKind(rapid.IntRange(1, 3).Draw(t, "kind"))})
		}
		var prev event
		for i := 0; q.len() > 0; i++ {
			e := q.pop()
			if i > 0 && e.before(prev) {
				t.Fatalf("%+v popped after %+v", e, prev)
			}
			prev = e
		}
	})
}

func TestQueueNoAllocs(t *testing.T) {
	var q queue
	for range 64 {
		q.push(event{at: 1})
	}
	for q.len() > 0 {
		q.pop()
	}
	if n := testing.AllocsPerRun(100, func() {
		q.push(event{at: 3})
		q.push(event{at: 1})
		q.pop()
		q.pop()
	}); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

// BenchmarkStorm simulates the README's N=1000, C=20 storm under
// admission control (a semaphore) and under full jitter.
func BenchmarkStorm(b *testing.B) {
	for _, s := range []Strategy{Semaphore(storm), FullJitter()} {
		b.Run(s.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Run(storm, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestQueueAbsorbsOverload(t *testing.T) {
	cfg := storm
	r0, _ := Run(cfg, FullJitter())
	cfg.Queue = 200
	r1, _ := Run(cfg, FullJitter())
	if r1.Overloads >= r0.Overloads {
		t.Fatalf("a queue of 200 did not reduce overloads: %d -> %d", r0.Overloads, r1.Overloads)
	}
	cfg.Queue = cfg.N
	r2, _ := Run(cfg, NoWait())
	if r2.Overloads != 0 || r2.Max != cfg.Ideal() {
		t.Fatalf("unbounded queue: %d overloads, max %v", r2.Overloads, r2.Max)
	}
}
