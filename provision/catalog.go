package provision

import (
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"time"
)

// CatalogConfig describes a machine catalog.
type CatalogConfig struct {
	Name       string
	Image      Image
	Scheme     string         // naming scheme, e.g. "WEB-###"
	Subnet     netip.Prefix   // instance addresses come from here
	Reserved   []netip.Addr   // addresses in Subnet never handed out
	MACPrefix  uint16         // octets 1-2 of generated MACs
	StaticMACs map[string]MAC // fixed MACs by hostname
	Clock      Clock          // nil means SystemClock
}

// Catalog is a set of instances cloned from one generalized master image,
// after MCS machine catalogs: a naming scheme, a count and identity pools.
type Catalog struct {
	name   string
	image  Image
	scheme NamingScheme
	macs   *MACPool
	ips    *IPPool
	clock  Clock
	byIdx  map[int]*Instance
	sorted []*Instance // byIdx in naming order, rebuilt by Scale
}

// NewCatalog validates cfg. A specialized image is refused.
func NewCatalog(cfg CatalogConfig) (*Catalog, error) {
	if err := cfg.Image.CheckClone(); err != nil {
		return nil, err
	}
	scheme, err := ParseNamingScheme(cfg.Scheme)
	if err != nil {
		return nil, err
	}
	macs, err := NewMACPool(cfg.MACPrefix, cfg.StaticMACs)
	if err != nil {
		return nil, err
	}
	ips, err := NewIPPool(cfg.Subnet, cfg.Reserved...)
	if err != nil {
		return nil, err
	}
	clock := cfg.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	return &Catalog{name: cfg.Name, image: cfg.Image, scheme: scheme, macs: macs, ips: ips, clock: clock, byIdx: make(map[int]*Instance)}, nil
}

// Name returns the catalog's name.
func (c *Catalog) Name() string { return c.name }

// Image returns the master image.
func (c *Catalog) Image() Image { return c.image }

// Len returns the number of instances (Deleted ones are removed).
func (c *Catalog) Len() int { return len(c.byIdx) }

// Instances yields the instances in naming order.
func (c *Catalog) Instances() iter.Seq[*Instance] {
	return func(yield func(*Instance) bool) {
		for _, in := range c.sorted {
			if !yield(in) {
				return
			}
		}
	}
}

// Instance returns the instance with the given hostname, or nil.
func (c *Catalog) Instance(name string) *Instance {
	for _, in := range c.sorted {
		if in.Name == name {
			return in
		}
	}
	return nil
}

func (c *Catalog) resort() {
	c.sorted = c.sorted[:0]
	for _, in := range c.byIdx {
		c.sorted = append(c.sorted, in)
	}
	slices.SortFunc(c.sorted, func(a, b *Instance) int { return a.Index - b.Index })
}

// Scale brings the catalog to n instances. Scaling up fills the lowest
// free numbers with new Requested instances and their identities; scaling
// down deletes the highest-numbered instances and releases their
// identities. On error nothing changes.
func (c *Catalog) Scale(n int) (added, removed []*Instance, err error) {
	if n < 0 || n > c.scheme.Max() {
		return nil, nil, &PoolError{Pool: "hostname", Value: fmt.Sprintf("count %d, scheme %s names at most %d", n, c.scheme, c.scheme.Max()), Err: ErrPoolExhausted}
	}
	now := c.clock.Now()
	defer c.resort()
	for i := 1; len(c.byIdx) < n; i++ {
		if c.byIdx[i] != nil {
			continue
		}
		in, err := c.create(i, now)
		if err != nil {
			for _, a := range added { // roll back this call
				c.release(a)
				delete(c.byIdx, a.Index)
			}
			return nil, nil, err
		}
		c.byIdx[i] = in
		added = append(added, in)
	}
	if len(c.byIdx) > n {
		c.resort()
		for _, in := range slices.Backward(c.sorted[n:]) {
			i := in.Index
			if err := in.To(Deleted, now); err != nil {
				return added, removed, err // unreachable: every live state may be deleted
			}
			c.release(in)
			delete(c.byIdx, i)
			removed = append(removed, in)
		}
	}
	return added, removed, nil
}

func (c *Catalog) create(i int, now time.Time) (*Instance, error) {
	name, err := c.scheme.Name(i)
	if err != nil {
		return nil, err
	}
	mac, err := c.macs.Allocate(name)
	if err != nil {
		return nil, err
	}
	addr, err := c.ips.Allocate()
	if err != nil {
		c.macs.Release(mac)
		return nil, err
	}
	return NewInstance(name, i, mac, addr, now), nil
}

func (c *Catalog) release(in *Instance) {
	c.macs.Release(in.MAC)
	c.ips.Release(in.Addr)
}
