package tap

import (
	"errors"
	"strconv"
)

// Config says which device to open and how.
type Config struct {
	// Name is the interface name (at most 15 bytes). Empty lets the kernel
	// choose one ("tap0", "tap1", ...); Device.Name reports it. An
	// existing TAP device of that name is attached to.
	Name string
	// Offload are the offloads to accept (TUNSETOFFLOAD). Flags the
	// running kernel does not know (USO4, USO6) are dropped; every flag
	// but OffloadCsum requires OffloadCsum.
	Offload Offload
	// NetNS, when set, is the path of a network namespace (for example
	// "/run/netns/lab1") to create the device in. The calling goroutine's
	// own namespace is used otherwise.
	NetNS string
}

// ErrConfig reports a Config that cannot be satisfied (a name too long, an
// offload without OffloadCsum).
var ErrConfig = errors.New("tap: invalid config")

// ErrShortBuffer: a read buffer cannot hold a vnet header and the largest
// packet, or a frame is too short to be Ethernet.
var ErrShortBuffer = errors.New("tap: buffer too short")

// Error wraps a failure of one step of opening or using a device.
type Error struct {
	Op   string // "open", "TUNSETIFF", "TUNSETOFFLOAD", "read", "write", ...
	Name string // the interface name, when known
	Err  error
}

func (e *Error) Error() string {
	s := "tap"
	if e.Name != "" {
		s += " " + e.Name
	}
	return s + ": " + e.Op + ": " + e.Err.Error()
}

// Unwrap returns the underlying error (a syscall.Errno, ErrConfig, ...).
func (e *Error) Unwrap() error { return e.Err }

// ReadBufferSize is the smallest buffer ReadPacket accepts: a virtio-net
// header and the largest packet a TAP device hands over (an IP packet of
// 65535 bytes, so a 64 KiB GSO packet, behind an Ethernet header with one
// 802.1Q tag). Raising the device's gso_max_size above 64 KiB (BIG TCP)
// would let the kernel hand over larger packets; this package does not
// support that.
const ReadBufferSize = 10 + 18 + 65535

// maxNameLen is IFNAMSIZ less the terminating NUL.
const maxNameLen = 15

func (c Config) check() error {
	if len(c.Name) > maxNameLen {
		return &Error{Op: "config", Name: c.Name, Err: configErr("name longer than " + strconv.Itoa(maxNameLen) + " bytes")}
	}
	if c.Offload&needsCsum != 0 && c.Offload&OffloadCsum == 0 {
		return &Error{Op: "config", Name: c.Name, Err: configErr("offload " + c.Offload.String() + " needs csum")}
	}
	return nil
}

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.err.Error() + ": " + w.msg }
func (w *wrapped) Unwrap() error { return w.err }

func configErr(msg string) error { return &wrapped{msg: msg, err: ErrConfig} }
