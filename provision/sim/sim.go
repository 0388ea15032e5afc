package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/sdnfabric/sdnfabric/provision"
	"github.com/sdnfabric/sdnfabric/provision/jitter"
)

// Config describes one start storm.
type Config struct {
	N       int           // instances started at the same instant
	C       int           // requests the database serves at a time
	Latency time.Duration // service time of one request
	// Queue is how many requests may wait for a free slot. A request that
	// arrives when C are in service and Queue are waiting is refused: that
	// is an overload failure. The seed's database had no useful queue, so
	// the default is 0: more than C at once fails.
	Queue int
	// Refuse is how long the database takes to refuse a request (it still
	// costs a connection and a call). Default Latency/40.
	Refuse time.Duration
	// MaxAttempts after which an instance gives up and is Failed.
	// Default 20.
	MaxAttempts int
	Seed        uint64
}

func (c Config) withDefaults() (Config, error) {
	if c.N < 1 || c.C < 1 || c.Latency <= 0 || c.Queue < 0 {
		return c, errors.New("sim: need N >= 1, C >= 1, Latency > 0, Queue >= 0")
	}
	if c.N > 1<<20 {
		return c, errors.New("sim: N above 1048576")
	}
	if c.Refuse <= 0 {
		c.Refuse = max(c.Latency/40, 1)
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	return c, nil
}

// Ideal is N*Latency/C, the completion time of a perfectly packed run.
func (c Config) Ideal() time.Duration {
	return time.Duration(int64(c.N) * int64(c.Latency) / int64(c.C))
}

// Strategy names a way of starting: Gate returns instance i's gate (a
// shared gate may be returned for every i).
type Strategy struct {
	Name string
	Gate func(i int, r jitter.Rand) jitter.Gate
}

// Sample is the number of requests in the database (served, queued or
// being refused) from At until the next sample.
type Sample struct {
	At       time.Duration
	InFlight int
}

// Result is what one run measured.
type Result struct {
	Strategy      string
	Peak          int // most requests in the database at once
	Overloads     int // requests refused because the database was full
	Calls         int // requests sent to the database
	Ready, Failed int // instances in each final state
	// P50, P99 and Max are completion times (registration done, instance
	// Ready) over the instances that became Ready.
	P50, P99, Max  time.Duration
	Ideal          time.Duration // N*Latency/C
	Series         []Sample      // in-flight requests over time
	Instances      []*provision.Instance
	FailureReasons map[string]int // Failed instances by reason
}

// epoch anchors virtual time for the gates and the lifecycle history.
var epoch = time.Date(2011, 3, 29, 0, 0, 0, 0, time.UTC)

type run struct {
	cfg       Config
	q         queue
	gates     []jitter.Gate
	attempt   []int
	inst      []*provision.Instance
	inService int
	waiting   []int32 // requests queued at the database
	refused   []int32 // instances a gate refused with wait 0, FIFO
	inFlight  int
	now       time.Duration
	res       Result
	done      []time.Duration
}

// Run simulates cfg under strategy s in virtual time. The result depends
// only on cfg (including Seed) and s.
func Run(cfg Config, s Strategy) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x70726f76))
	r := &run{cfg: cfg, gates: make([]jitter.Gate, cfg.N), attempt: make([]int, cfg.N), inst: make([]*provision.Instance, cfg.N)}
	r.res = Result{Strategy: s.Name, Ideal: cfg.Ideal(), FailureReasons: map[string]int{}}
	r.res.Series = append(r.res.Series, Sample{})
	t0 := epoch
	for i := range cfg.N {
		r.gates[i] = s.Gate(i, rng)
		in := provision.NewInstance(fmt.Sprintf("VM-%07d", i+1), i+1, provision.MAC{}, netip.Addr{}, t0)
		// Cloning, specialize and first logon are not what is measured:
		// every instance reaches its first-logon command at time zero.
		for _, st := range []provision.State{provision.Cloning, provision.Specializing, provision.FirstLogon, provision.Busy} {
			if err := in.To(st, t0); err != nil {
				return Result{}, err
			}
		}
		r.inst[i] = in
		r.q.push(event{at: 0, kind: evAsk, inst: int32(i)})
	}
	for r.q.len() > 0 {
		e := r.q.pop()
		r.now = e.at
		if err := r.step(e); err != nil {
			return Result{}, err
		}
	}
	r.finish()
	return r.res, nil
}

func (r *run) clock() time.Time { return epoch.Add(r.now) }

func (r *run) step(e event) error {
	i := e.inst
	switch e.kind {
	case evAsk:
		wait, ok := r.gates[i].Admit(r.clock(), r.attempt[i])
		switch {
		case ok:
			r.q.push(event{at: r.now + wait, kind: evStart, inst: i})
		case wait > 0:
			r.q.push(event{at: r.now + wait, kind: evAsk, inst: i})
		default:
			r.refused = append(r.refused, i)
		}
	case evStart:
		r.res.Calls++
		r.setInFlight(r.inFlight + 1)
		switch {
		case r.inService < r.cfg.C:
			r.inService++
			r.q.push(event{at: r.now + r.cfg.Latency, kind: evFinish, inst: i, ok: true})
		case len(r.waiting) < r.cfg.Queue:
			r.waiting = append(r.waiting, i)
		default:
			r.res.Overloads++
			r.q.push(event{at: r.now + r.cfg.Refuse, kind: evFinish, inst: i, ok: false})
		}
	case evFinish:
		r.setInFlight(r.inFlight - 1)
		if e.ok {
			r.inService--
			if len(r.waiting) > 0 {
				next := r.waiting[0]
				r.waiting = r.waiting[1:]
				r.inService++
				r.q.push(event{at: r.now + r.cfg.Latency, kind: evFinish, inst: next, ok: true})
			}
		}
		r.gates[i].Done(r.clock())
		if len(r.refused) > 0 { // a slot may be free: wake the longest waiter
			next := r.refused[0]
			r.refused = r.refused[1:]
			r.q.push(event{at: r.now, kind: evAsk, inst: next})
		}
		in := r.inst[i]
		if e.ok {
			r.done = append(r.done, r.now)
			return in.To(provision.Ready, r.clock())
		}
		r.attempt[i]++
		if r.attempt[i] >= r.cfg.MaxAttempts {
			return in.Fail(fmt.Sprintf("registration refused %d times: database overloaded", r.attempt[i]), r.clock())
		}
		r.q.push(event{at: r.now, kind: evAsk, inst: i})
	}
	return nil
}

func (r *run) setInFlight(n int) {
	r.inFlight = n
	r.res.Peak = max(r.res.Peak, n)
	last := &r.res.Series[len(r.res.Series)-1]
	if last.At == r.now {
		last.InFlight = n
		return
	}
	r.res.Series = append(r.res.Series, Sample{At: r.now, InFlight: n})
}

func (r *run) finish() {
	for _, in := range r.inst {
		switch in.State() {
		case provision.Ready:
			r.res.Ready++
		case provision.Failed:
			r.res.Failed++
			r.res.FailureReasons[in.Reason()]++
		}
	}
	r.res.Instances = r.inst
	if len(r.done) > 0 {
		slices.Sort(r.done)
		r.res.P50 = quantile(r.done, 0.50)
		r.res.P99 = quantile(r.done, 0.99)
		r.res.Max = r.done[len(r.done)-1]
	}
}

// quantile is the nearest-rank quantile of sorted d.
func quantile(d []time.Duration, q float64) time.Duration {
	k := int(q*float64(len(d))+0.999999) - 1
	return d[min(max(k, 0), len(d)-1)]
}
