package nat

import "time"

// The timer wheel has wheelSize buckets of one second; a session sits in
// the bucket of its expiry tick modulo wheelSize, in a doubly linked list
// threaded through the session records. Refreshing a session only moves
// its expiry later and leaves it where it is: when its bucket comes round,
// a session that is not due yet moves to the bucket of its new expiry. So
// a packet refreshing a session writes one field. A session whose expiry
// moves earlier (TCP RST, both FINs) is moved at once.
//
// The wheel advances on every Outbound and Inbound call (to Clock()) and on
// Expire. A session expires within a second after its timeout; timeouts
// are rounded up to whole seconds and a session never expires early.
const wheelSize = 4096

type wheel struct {
	buckets []uint32 // head session + 1 per bucket, 0 for empty
	tick    uint32   // last tick processed
	epoch   time.Time
}

// tick converts a time into seconds since the NAT's epoch.
func (n *NAT) tickOf(now time.Time) uint32 {
	d := now.Sub(n.wheel.epoch)
	if d < 0 {
		return 0
	}
	return uint32(d / time.Second)
}

func (n *NAT) wheelLink(s uint32) {
	r := &n.sessions[s]
	b := r.expiry % wheelSize
	r.bucket = uint16(b)
	r.prev = 0
	r.next = n.wheel.buckets[b]
	if r.next != 0 {
		n.sessions[r.next-1].prev = s + 1
	}
	n.wheel.buckets[b] = s + 1
}

func (n *NAT) wheelUnlink(s uint32) {
	r := &n.sessions[s]
	if r.prev != 0 {
		n.sessions[r.prev-1].next = r.next
	} else {
		n.wheel.buckets[r.bucket] = r.next
	}
	if r.next != 0 {
		n.sessions[r.next-1].prev = r.prev
	}
}

// Expire advances the timer wheel to now, deleting the sessions whose
// timer ran out and the dynamic mappings left without sessions. Outbound
// and Inbound do this too, so calling Expire is only needed to free
// memory while no packets flow.
func (n *NAT) Expire(now time.Time) { n.advance(n.tickOf(now)) }

func (n *NAT) advance(now uint32) {
	w := &n.wheel
	if now <= w.tick {
		return
	}
	if now-w.tick > wheelSize {
		// A long gap: one full turn visits every bucket.
		w.tick = now - wheelSize
	}
	for w.tick < now {
		w.tick++
		b := w.tick % wheelSize
		s := w.buckets[b]
		w.buckets[b] = 0
		for s != 0 {
			r := &n.sessions[s-1]
			next := r.next
			if r.expiry <= now {
				n.freeSession(s-1, false)
				n.counters.Expired++
			} else {
				n.wheelLink(s - 1)
			}
			s = next
		}
	}
}
