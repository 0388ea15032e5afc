package tap

import "strings"

// Offload is a set of TUN_F_* flags (include/uapi/linux/if_tun.h) for the
// TUNSETOFFLOAD ioctl: the offloads user space accepts on packets it reads.
type Offload uint32

// TUN_F_* flags.
const (
	OffloadCsum   Offload = 0x01 // TUN_F_CSUM: partial checksums (NEEDS_CSUM)
	OffloadTSO4   Offload = 0x02 // TUN_F_TSO4: TCP/IPv4 super-segments
	OffloadTSO6   Offload = 0x04 // TUN_F_TSO6: TCP/IPv6 super-segments
	OffloadTSOECN Offload = 0x08 // TUN_F_TSO_ECN: TSO with ECN (CWR) set
	OffloadUFO    Offload = 0x10 // TUN_F_UFO: UDP fragmentation offload (deprecated)
	OffloadUSO4   Offload = 0x20 // TUN_F_USO4: UDP/IPv4 segmentation (Linux 6.2+)
	OffloadUSO6   Offload = 0x40 // TUN_F_USO6: UDP/IPv6 segmentation (Linux 6.2+)

	// OffloadAll is every flag Open knows how to ask for.
	OffloadAll = OffloadCsum | OffloadTSO4 | OffloadTSO6 | OffloadTSOECN | OffloadUSO4 | OffloadUSO6
)

var offloadNames = [...]struct {
	o    Offload
	name string
}{
	{OffloadCsum, "csum"},
	{OffloadTSO4, "tso4"},
	{OffloadTSO6, "tso6"},
	{OffloadTSOECN, "tso_ecn"},
	{OffloadUFO, "ufo"},
	{OffloadUSO4, "uso4"},
	{OffloadUSO6, "uso6"},
}

// String lists the flags, e.g. "csum|tso4|tso6", or "none".
func (o Offload) String() string {
	if o == 0 {
		return "none"
	}
	var b strings.Builder
	for _, n := range offloadNames {
		if o&n.o != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n.name)
			o &^= n.o
		}
	}
	if o != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x")
		const hex = "0123456789abcdef"
		var d [8]byte
		i := len(d)
		for o != 0 {
			i--
			d[i] = hex[o&0xf]
			o >>= 4
		}
		b.Write(d[i:])
	}
	return b.String()
}

// needsCsum are the flags the kernel accepts only together with
// OffloadCsum (tun_set_offload ignores them otherwise and fails).
const needsCsum = OffloadTSO4 | OffloadTSO6 | OffloadTSOECN | OffloadUFO | OffloadUSO4 | OffloadUSO6
