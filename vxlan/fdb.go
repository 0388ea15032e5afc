package vxlan

import (
	"iter"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Defaults of FDBConfig.
const (
	DefaultAgeingTime = 300 * time.Second // as the Linux bridge and vxlan driver
	DefaultMaxPerVNI  = 16384
)

// FDBConfig configures an FDB. The zero value gives the defaults.
type FDBConfig struct {
	// AgeingTime is how long a learned entry lives without being
	// refreshed by a received frame; 0 means DefaultAgeingTime and a
	// negative value means learned entries never age.
	AgeingTime time.Duration
	// MaxPerVNI bounds the MAC entries (static and learned) of one VNI;
	// 0 means DefaultMaxPerVNI. Learning beyond it fails with ErrFDBFull
	// and is counted, so a flood of source MAC addresses cannot grow
	// memory without bound.
	MaxPerVNI int
	// Now is the clock; nil means time.Now. Tests pass a virtual clock.
	Now func() time.Time
}

// FDB is a VXLAN forwarding database: (VNI, MAC address) to the address of
// the remote VTEP behind it, plus, per VNI, the flood list (the entries for
// the all-zeros MAC address) that broadcast, unknown unicast and multicast
// frames are replicated to.
//
// All methods are safe for concurrent use. Lookups and the refresh of a
// learned entry take only a read lock and do not allocate; inserting,
// moving and removing entries take the write lock.
type FDB struct {
	ageing time.Duration
	max    int
	now    func() time.Time

	mu      sync.RWMutex
	entries map[fdbKey]*fdbEntry
	count   map[VNI]int
	flood   map[VNI][]netip.Addr // copy on write: a published slice is never modified

	learned, moved, aged, full atomic.Uint64
}

type fdbKey struct {
	vni VNI
	mac header.MAC
}

type fdbEntry struct {
	remote netip.Addr // changed only under the write lock
	static bool
	seen   atomic.Int64 // Unix nanoseconds of the last frame learned from
}

// Entry is one MAC entry of an FDB, as All yields it.
type Entry struct {
	VNI      VNI
	MAC      header.MAC
	Remote   netip.Addr
	Static   bool
	LastSeen time.Time // zero for static entries
}

// FDBStats counts the entries of an FDB and what happened to them.
type FDBStats struct {
	Entries   int    // MAC entries, static and learned
	Static    int    // static MAC entries
	Flood     int    // flood list remotes, over all VNIs
	Learned   uint64 // entries created by learning
	Moved     uint64 // learned MACs that moved to another remote VTEP
	Aged      uint64 // learned entries removed by ageing
	LimitDrop uint64 // learning refused because a VNI was at MaxPerVNI
}

// NewFDB returns an empty FDB.
func NewFDB(cfg FDBConfig) *FDB {
	f := &FDB{
		ageing:  cfg.AgeingTime,
		max:     cfg.MaxPerVNI,
		now:     cfg.Now,
		entries: make(map[fdbKey]*fdbEntry),
		count:   make(map[VNI]int),
		flood:   make(map[VNI][]netip.Addr),
	}
	if f.ageing == 0 {
		f.ageing = DefaultAgeingTime
	}
	if f.max <= 0 {
		f.max = DefaultMaxPerVNI
	}
	if f.now == nil {
		f.now = time.Now
	}
	return f
}

func fdbArgs(vni VNI, remote netip.Addr) error {
	if !vni.Valid() {
		return &Error{Layer: "fdb", Field: "vni", Offset: -1, Err: ErrBadValue}
	}
	if !remote.IsValid() || remote.IsUnspecified() {
		return &Error{Layer: "fdb", Field: "remote", Offset: -1, Err: ErrBadValue}
	}
	return nil
}

// Add installs a static entry: frames for mac in vni go to remote. Static
// entries replace learned ones and are never replaced by learning or aged
// out. With the all-zeros MAC address, Add appends remote to the VNI's
// flood list instead (as "bridge fdb append 00:00:00:00:00:00" does).
func (f *FDB) Add(vni VNI, mac header.MAC, remote netip.Addr) error {
	remote = remote.Unmap()
	if err := fdbArgs(vni, remote); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if mac.IsZero() {
		l := f.flood[vni]
		if !slices.Contains(l, remote) {
			f.flood[vni] = append(slices.Clip(l), remote)
		}
		return nil
	}
	k := fdbKey{vni, mac}
	if e, ok := f.entries[k]; ok {
		e.remote, e.static = remote, true
		return nil
	}
	if f.count[vni] >= f.max {
		f.full.Add(1)
		return &Error{Layer: "fdb", Field: "entries of VNI " + vni.String(), Offset: -1, Err: ErrFDBFull}
	}
	f.entries[k] = &fdbEntry{remote: remote, static: true}
	f.count[vni]++
	return nil
}

// Delete removes the entry for mac in vni, static or learned, and reports
// whether there was one.
func (f *FDB) Delete(vni VNI, mac header.MAC) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deleteLocked(fdbKey{vni, mac})
}

func (f *FDB) deleteLocked(k fdbKey) bool {
	if _, ok := f.entries[k]; !ok {
		return false
	}
	delete(f.entries, k)
	if f.count[k.vni]--; f.count[k.vni] == 0 {
		delete(f.count, k.vni)
	}
	return true
}

// DeleteFlood removes remote from the flood list of vni and reports
// whether it was there.
func (f *FDB) DeleteFlood(vni VNI, remote netip.Addr) bool {
	remote = remote.Unmap()
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.flood[vni]
	i := slices.Index(l, remote)
	if i < 0 {
		return false
	}
	if len(l) == 1 {
		delete(f.flood, vni)
		return true
	}
	f.flood[vni] = slices.Delete(slices.Clone(l), i, i+1)
	return true
}

// Lookup returns the remote VTEP for mac in vni. A learned entry older
// than the ageing time is not returned, even before Expire removes it.
func (f *FDB) Lookup(vni VNI, mac header.MAC) (netip.Addr, bool) {
	f.mu.RLock()
	e, ok := f.entries[fdbKey{vni, mac}]
	var remote netip.Addr
	if ok {
		remote = e.remote
		ok = e.static || !f.stale(e, f.now().UnixNano())
	}
	f.mu.RUnlock()
	return remote, ok
}

func (f *FDB) stale(e *fdbEntry, now int64) bool {
	return f.ageing > 0 && now-e.seen.Load() > int64(f.ageing)
}

// AppendFlood appends the flood list of vni (the remotes of its all-zeros
// MAC entries) to dst. It does not allocate when dst has room.
func (f *FDB) AppendFlood(dst []netip.Addr, vni VNI) []netip.Addr {
	f.mu.RLock()
	dst = append(dst, f.flood[vni]...)
	f.mu.RUnlock()
	return dst
}

// refreshGranularity is how stale a learned entry's timestamp may get
// before a frame refreshes it, so that steady traffic from one MAC does not
// write the entry's cache line for every frame.
const refreshGranularity = int64(time.Second / 4)

// Learn records that mac in vni sits behind remote, as seen in a received
// frame's source address. Multicast, broadcast and all-zeros source
// addresses are ignored (they are not stations). A static entry is left as
// it is. A learned entry is refreshed, or moved if remote changed. A new
// entry beyond the VNI's limit is refused with ErrFDBFull, keeping the
// entries already held. Refreshing an entry does not allocate.
func (f *FDB) Learn(vni VNI, mac header.MAC, remote netip.Addr) error {
	if mac.IsMulticast() || mac.IsZero() {
		return nil
	}
	remote = remote.Unmap()
	if err := fdbArgs(vni, remote); err != nil {
		return err
	}
	now := f.now().UnixNano()
	k := fdbKey{vni, mac}
	f.mu.RLock()
	e, ok := f.entries[k]
	if ok && (e.static || e.remote == remote) {
		if !e.static && now-e.seen.Load() > refreshGranularity {
			e.seen.Store(now)
		}
		f.mu.RUnlock()
		return nil
	}
	f.mu.RUnlock()

	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.entries[k]; ok {
		if !e.static {
			if e.remote != remote {
				e.remote = remote
				f.moved.Add(1)
			}
			e.seen.Store(now)
		}
		return nil
	}
	if f.count[vni] >= f.max {
		f.full.Add(1)
		return &Error{Layer: "fdb", Field: "entries of VNI " + vni.String(), Offset: -1, Err: ErrFDBFull}
	}
	e = &fdbEntry{remote: remote}
	e.seen.Store(now)
	f.entries[k] = e
	f.count[vni]++
	f.learned.Add(1)
	return nil
}

// Expire removes the learned entries older than the ageing time and
// returns how many it removed. A VTEP calls it periodically.
func (f *FDB) Expire() int {
	if f.ageing < 0 {
		return 0
	}
	now := f.now().UnixNano()
	n := 0
	f.mu.Lock()
	for k, e := range f.entries {
		if !e.static && f.stale(e, now) {
			f.deleteLocked(k)
			n++
		}
	}
	f.mu.Unlock()
	f.aged.Add(uint64(n))
	return n
}

// Len returns the number of MAC entries of vni.
func (f *FDB) Len(vni VNI) int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.count[vni]
}

// All yields a snapshot of the MAC entries, in no particular order. The
// FDB may be changed while iterating.
func (f *FDB) All() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		f.mu.RLock()
		snap := make([]Entry, 0, len(f.entries))
		for k, e := range f.entries {
			en := Entry{VNI: k.vni, MAC: k.mac, Remote: e.remote, Static: e.static}
			if !e.static {
				en.LastSeen = time.Unix(0, e.seen.Load())
			}
			snap = append(snap, en)
		}
		f.mu.RUnlock()
		for _, e := range snap {
			if !yield(e) {
				return
			}
		}
	}
}

// Stats returns the FDB's counters.
func (f *FDB) Stats() FDBStats {
	f.mu.RLock()
	s := FDBStats{Entries: len(f.entries)}
	for _, e := range f.entries {
		if e.static {
			s.Static++
		}
	}
	for _, l := range f.flood {
		s.Flood += len(l)
	}
	f.mu.RUnlock()
	s.Learned, s.Moved, s.Aged, s.LimitDrop = f.learned.Load(), f.moved.Load(), f.aged.Load(), f.full.Load()
	return s
}
