package model

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/provision"
)

// CatalogSpec is a machine catalog (the provision module's Catalog,
// after MCS): Count instances cloned from a generalized master image,
// named by Scheme, with addresses from Subnet and MACs from MACPrefix.
// Config turns it into provision.CatalogConfig; validation is
// provision.NewCatalog's.
type CatalogSpec struct {
	Image CatalogImage `json:"image"`
	// Scheme is the naming scheme, e.g. "PORTAL-##".
	Scheme string `json:"scheme"`
	Count  int    `json:"count"`
	// VirtualNetwork and Subnet name where the instances' NICs go; the
	// catalog's address range is that subnet's prefix.
	VirtualNetwork string       `json:"virtualNetwork"`
	Subnet         string       `json:"subnet"`
	Reserved       []netip.Addr `json:"reserved,omitempty"`
	// MACPrefix is octets 1-2 of the instances' locally administered
	// MACs (02:pp:pp:ss:ss:ss).
	MACPrefix  uint16         `json:"macPrefix"`
	StaticMACs map[string]MAC `json:"staticMACs,omitempty"`
}

// Kind returns KindCatalog.
func (CatalogSpec) Kind() Kind { return KindCatalog }

// CatalogImage is the master image: its name and how it was captured.
type CatalogImage struct {
	Name string `json:"name"`
	// Kind is "generalized" (sysprep'd, cloneable) or "specialized".
	Kind string `json:"kind"`
}

// MaxCatalogCount bounds a catalog's instance count (ours).
const MaxCatalogCount = 100000

// Config returns the provision configuration of the catalog, whose
// instances take addresses from subnet.
func (c CatalogSpec) Config(name string, subnet netip.Prefix) provision.CatalogConfig {
	var kind provision.ImageKind
	switch c.Image.Kind {
	case "generalized":
		kind = provision.Generalized
	case "specialized":
		kind = provision.Specialized
	}
	var static map[string]provision.MAC
	if len(c.StaticMACs) > 0 {
		static = make(map[string]provision.MAC, len(c.StaticMACs))
		for k, v := range c.StaticMACs {
			static[k] = provision.MAC(v)
		}
	}
	return provision.CatalogConfig{
		Name:       name,
		Image:      provision.Image{Name: c.Image.Name, Kind: kind},
		Scheme:     c.Scheme,
		Subnet:     subnet,
		Reserved:   c.Reserved,
		MACPrefix:  c.MACPrefix,
		StaticMACs: static,
	}
}

// CatalogStatus reports the catalog's instances.
type CatalogStatus struct {
	Instances []CatalogInstance `json:"instances,omitempty"`
}

// CatalogInstance is one instance as provisioning reports it.
type CatalogInstance struct {
	Name    string     `json:"name"`
	Address netip.Addr `json:"address"`
	MAC     MAC        `json:"mac"`
	State   string     `json:"state"` // provision's lifecycle state
}

func (s *CatalogSpec) validate(c checker, name string) {
	switch s.Image.Kind {
	case "generalized":
	case "specialized":
		err := s.Config(name, netip.Prefix{}).Image.CheckClone()
		c.failCause(ErrInvalid, err, "spec.image.kind", "%v", err)
	case "":
		c.fail(ErrRequired, "spec.image.kind", "is empty")
	default:
		c.fail(ErrInvalid, "spec.image.kind", "%q is not generalized or specialized", s.Image.Kind)
	}
	checkRef(c, "spec.image.name", s.Image.Name)
	scheme, err := provision.ParseNamingScheme(s.Scheme)
	if err != nil {
		c.failCause(ErrInvalid, err, "spec.scheme", "%v", err)
	} else if s.Count < 0 || s.Count > min(scheme.Max(), MaxCatalogCount) {
		c.fail(ErrRange, "spec.count", "%d is outside 0-%d", s.Count, min(scheme.Max(), MaxCatalogCount))
	}
	checkRef(c, "spec.virtualNetwork", s.VirtualNetwork)
	checkRef(c, "spec.subnet", s.Subnet)
	for i, a := range s.Reserved {
		checkUnicast(c, fmt.Sprintf("spec.reserved[%d]", i), a)
	}
	for _, host := range slices.Sorted(maps.Keys(s.StaticMACs)) {
		f := "spec.staticMACs." + host
		if m := s.StaticMACs[host]; m.IsZero() || m.IsMulticast() {
			c.fail(ErrInvalid, f, "%s is not a unicast MAC", m)
		}
	}
}
