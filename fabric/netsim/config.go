package netsim

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultQueue is the queue length of a port when WireConfig.Queue is zero.
const DefaultQueue = 512

// MaxFrame is the largest frame a port accepts: a 64 KiB IP packet (a GSO
// super-packet) behind an Ethernet header with one VLAN tag. Larger frames
// are dropped and counted as oversize, so a peer cannot grow memory.
const MaxFrame = 65535 + 18

// WireConfig sets the behaviour of a wire, or of every port of a switch.
type WireConfig struct {
	// Queue is the number of frames that may wait for delivery at each
	// receiving port; when it is full, further frames are dropped.
	// Zero means DefaultQueue.
	Queue int
	// Loss is the fraction (0 to 1) of frames dropped at random on the way.
	Loss float64
	// Delay is the one-way propagation delay of every frame.
	Delay time.Duration
	// Seed seeds the pseudo-random loss, so a run is repeatable.
	Seed uint64
}

func (c WireConfig) queue() int {
	if c.Queue <= 0 {
		return DefaultQueue
	}
	return c.Queue
}

// loss decides which frames a direction of a link drops.
type loss struct {
	rate atomic.Uint64 // math.Float64bits of the loss fraction
	mu   sync.Mutex
	rng  *rand.Rand
}

// newLoss returns the loss of one direction of a link; stream tells the
// directions apart so they do not drop in lockstep.
func newLoss(cfg WireConfig, stream uint64) *loss {
	l := &loss{rng: rand.New(rand.NewPCG(cfg.Seed, stream))}
	l.setRate(cfg.Loss)
	return l
}

func (l *loss) drop() bool {
	rate := math.Float64frombits(l.rate.Load())
	if rate <= 0 {
		return false
	}
	l.mu.Lock()
	d := l.rng.Float64() < rate
	l.mu.Unlock()
	return d
}

func (l *loss) setRate(rate float64) {
	l.rate.Store(math.Float64bits(max(0, min(rate, 1))))
}
