package netsim

import (
	"sync"
	"sync/atomic"
	"time"
)

// Port is one attachment to a wire or a switch. Its methods are safe for
// concurrent use.
type Port struct {
	name  string
	q     chan *frame
	delay time.Duration
	loss  *loss
	// forward carries a frame accepted by Send to the far end(s) and
	// reports whether at least one queue took it.
	forward func(from *Port, f []byte, mss uint16) bool
	// far is the other end of a wire (nil on a switch); Replug moves it.
	far  atomic.Pointer[Port]
	wire *wire

	recv atomic.Pointer[receiver]
	// busy is held while the receiver runs, in the delivery goroutine or
	// in a sender's (run to completion); it guards seg and keeps the
	// receiver to one frame at a time.
	busy sync.Mutex
	// pending counts the frames queued, or taken from the queue by the
	// delivery goroutine and not yet handed to the receiver: a sender
	// delivers in its own goroutine only when it is zero, so frames stay
	// in order.
	pending atomic.Int64
	seg     segmenter // for super-frames to a plain receiver
	start   sync.Once
	stop    chan struct{}
	stopped sync.Once
	exited  chan struct{}
	closed  atomic.Bool

	stats portCounters
}

// PortStats counts what a port did. On a wire, every frame port a sent is
// in a's Lost, Oversize or Unreachable, in b's Overrun, Unsegmentable or
// RxFrames, or still queued at b.
type PortStats struct {
	TxFrames, TxBytes uint64 // frames (and bytes) Send was asked to carry
	RxFrames, RxBytes uint64 // frames (and bytes) handed to the receiver
	Lost              uint64 // sent frames dropped by the simulated loss
	Oversize          uint64 // sent frames longer than MaxFrame or shorter than an Ethernet header
	Unreachable       uint64 // sent frames with no open far end (closed, or a switch with no other port)
	Overrun           uint64 // frames for this port dropped because its queue was full
	Unsegmentable     uint64 // super-frames for this port's plain receiver that could not be segmented
	Queued            uint64 // frames waiting for delivery at this port now
}

type portCounters struct {
	txFrames, txBytes, rxFrames, rxBytes atomic.Uint64
	lost, oversize, unreachable, overrun atomic.Uint64
	unsegmentable                        atomic.Uint64
}

// frame is a queued copy of a sent frame.
type frame struct {
	b   []byte
	mss uint16    // a super-frame's MSS; 0 for a plain frame
	at  time.Time // when it was sent, for the delay
}

var framePool = sync.Pool{New: func() any { return &frame{b: make([]byte, 0, 2048)} }}

func newPort(name string, cfg WireConfig, stream uint64) *Port {
	return &Port{
		name:   name,
		q:      make(chan *frame, cfg.queue()),
		delay:  cfg.Delay,
		loss:   newLoss(cfg, stream),
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
	}
}

// Name returns the port's name.
func (p *Port) Name() string { return p.name }

// Send hands frame to the far end. When the far end's receiver is idle,
// nothing waits in its queue and the link has no delay, the receiver runs
// at once in the caller's goroutine on frame itself (run to completion, as
// a kernel's receive path does; no copy, no goroutine hand-off) and may
// rewrite it there, as routers do: after Send the caller may reuse the
// buffer but must not rely on what it holds. Otherwise Send copies frame
// and queues it for the far end's delivery goroutine. Send never waits for
// a busy receiver. It returns false, and counts why, when the frame was
// dropped: simulated loss, a full queue, a closed port or an oversized
// frame.
func (p *Port) Send(frame []byte) bool { return p.send(frame, 0) }

// send is Send of a frame, or of a super-frame with its mss.
func (p *Port) send(frame []byte, mss uint16) bool {
	p.stats.txFrames.Add(1)
	p.stats.txBytes.Add(uint64(len(frame)))
	switch {
	case p.closed.Load():
		p.stats.unreachable.Add(1)
		return false
	case len(frame) > MaxFrame || len(frame) < 14:
		p.stats.oversize.Add(1)
		return false
	case p.loss.drop():
		p.stats.lost.Add(1)
		return false
	}
	return p.forward(p, frame, mss)
}

// SetLoss changes the fraction (0 to 1) of the frames this port sends that
// are dropped at random.
func (p *Port) SetLoss(rate float64) { p.loss.setRate(rate) }

// take delivers f (a super-frame if mss is not 0) to p's receiver in the
// caller's goroutine if the receiver is idle and nothing is queued before
// f, and queues a copy of it otherwise. Only a unicast frame, for one
// receiver, may be taken so: a flooded frame is queued at every port.
func (p *Port) take(f []byte, mss uint16) bool {
	if p.closed.Load() {
		return false
	}
	r := p.recv.Load()
	if r == nil || r.queues(f, mss) || p.delay > 0 || p.pending.Load() != 0 || !p.busy.TryLock() {
		return p.enqueue(f, mss)
	}
	// Checked again with the receiver held: a frame queued meanwhile
	// goes first, and Close may have begun.
	if p.pending.Load() != 0 || p.closed.Load() {
		p.busy.Unlock()
		return p.enqueue(f, mss)
	}
	p.receive(r, f, mss)
	p.busy.Unlock()
	return true
}

// enqueue queues a copy of f (a super-frame if mss is not 0) for delivery
// at p.
func (p *Port) enqueue(f []byte, mss uint16) bool {
	if p.closed.Load() {
		return false
	}
	fr := framePool.Get().(*frame)
	fr.b = append(fr.b[:0], f...)
	fr.mss = mss
	if p.delay > 0 {
		fr.at = time.Now()
	}
	p.pending.Add(1)
	select {
	case p.q <- fr:
		return true
	default:
		p.pending.Add(-1)
		framePool.Put(fr)
		p.stats.overrun.Add(1)
		return false
	}
}

// SetReceiver sets the function that receives the frames sent to p, and
// starts delivering them. fn runs one frame at a time, in order: in the
// sender's goroutine when it was idle (see Send), otherwise on the port's
// delivery goroutine. The frame is valid only during the call, and fn may
// rewrite it in place. Frames sent before the first SetReceiver wait in the
// queue (up to its length).
//
// Since fn may run in a sender's goroutine, it must not wait for a lock
// that a sender may hold while it sends. Only a frame that comes back to
// a port while its receiver runs is queued (a receiver may send while
// holding a lock that only it takes). A node that holds a lock across
// Send from anywhere else (its own goroutine, a timer) and takes that
// lock in its receiver deadlocks as soon as a frame comes back to it
// through idle nodes, all in the one goroutine; two such nodes sending
// to each other at once, each holding its own lock, deadlock too. Such a
// node uses SetQueuedReceiver.
func (p *Port) SetReceiver(fn func(frame []byte)) {
	p.setReceiver(&receiver{plain: fn})
}

// SetQueuedReceiver is SetReceiver for a receiver that must not run in a
// sender's goroutine (a stack that holds locks of its own while it sends,
// as gVisor's does): every frame is copied, queued and delivered on the
// port's goroutine.
func (p *Port) SetQueuedReceiver(fn func(frame []byte)) {
	p.setReceiver(&receiver{plain: fn, queued: true})
}

func (p *Port) setReceiver(r *receiver) {
	p.recv.Store(r)
	p.start.Do(func() { go p.deliver() })
}

func (p *Port) deliver() {
	defer close(p.exited)
	var timer *time.Timer
	for {
		select {
		case <-p.stop:
			return
		case fr := <-p.q:
			if p.delay > 0 {
				if wait := time.Until(fr.at.Add(p.delay)); wait > 0 {
					if timer == nil {
						timer = time.NewTimer(wait)
					} else {
						timer.Reset(wait)
					}
					select {
					case <-p.stop:
						timer.Stop()
						return
					case <-timer.C:
					}
				}
			}
			p.busy.Lock()
			// Counted until now, so no sender overtook it; a sender
			// cannot take the busy receiver.
			p.pending.Add(-1)
			p.receive(p.recv.Load(), fr.b, fr.mss)
			p.busy.Unlock()
			framePool.Put(fr)
		}
	}
}

// receive hands frame f (a super-frame if mss is not 0) to receiver r, p.busy
// held: a super-frame to a plain receiver as its segments.
func (p *Port) receive(r *receiver, f []byte, mss uint16) {
	if r.super == nil && mss != 0 {
		p.segment(f, int(mss), r.plain)
		return
	}
	p.stats.rxFrames.Add(1)
	p.stats.rxBytes.Add(uint64(len(f)))
	if r.super != nil {
		r.super(f, int(mss))
		return
	}
	r.plain(f)
}

// Close detaches the port: frames queued for it are discarded, later frames
// to or from it are dropped, and its delivery goroutine and any receiver
// call in a sender's goroutine have ended when Close returns. Close must not
// be called from the port's own receiver, nor from a receiver of a frame
// this port's receiver sent. Closing twice is harmless.
func (p *Port) Close() {
	p.closed.Store(true)
	p.stopped.Do(func() { close(p.stop) })
	// Without a receiver no delivery goroutine ever ran: nothing will
	// close exited, so this Close does, and every Close can wait on it.
	p.start.Do(func() { close(p.exited) })
	<-p.exited
	// A sender's goroutine may still be in the receiver; none starts
	// now that closed is set. Once it has returned, the port forgets
	// its receiver.
	p.busy.Lock()
	p.recv.Store(nil)
	p.busy.Unlock()
}

// Stats returns the port's counters.
func (p *Port) Stats() PortStats {
	return PortStats{
		TxFrames:      p.stats.txFrames.Load(),
		TxBytes:       p.stats.txBytes.Load(),
		RxFrames:      p.stats.rxFrames.Load(),
		RxBytes:       p.stats.rxBytes.Load(),
		Lost:          p.stats.lost.Load(),
		Oversize:      p.stats.oversize.Load(),
		Unreachable:   p.stats.unreachable.Load(),
		Overrun:       p.stats.overrun.Load(),
		Unsegmentable: p.stats.unsegmentable.Load(),
		Queued:        uint64(max(p.pending.Load(), 0)),
	}
}
