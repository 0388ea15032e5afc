//go:build linux

package tap

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/sdnfabric/sdnfabric/offload/virtio"
	"golang.org/x/sys/unix"
)

// Device is an open TAP device. ReadPacket and WritePacket may be called
// concurrently with each other; concurrent writes are serialised.
type Device struct {
	f       *os.File
	rc      syscall.RawConn
	name    string
	offload Offload
	closed  atomic.Bool

	mu      sync.Mutex // guards the write state below
	hdr     [virtio.NetHdrLen]byte
	iov     [2][]byte
	written int
	werr    error
	writeFn func(fd uintptr) bool
}

// Open creates (or attaches to) the TAP device cfg describes.
func Open(cfg Config) (*Device, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.NetNS == "" {
		return open(cfg)
	}
	var (
		d   *Device
		err error
	)
	done := make(chan struct{})
	// setns changes only the calling thread; do it on a locked thread of a
	// goroutine of our own so the caller's thread is never switched.
	go func() {
		defer close(done)
		runtime.LockOSThread()
		restore, serr := enterNetNS(cfg.NetNS)
		if serr != nil {
			runtime.UnlockOSThread()
			err = &Error{Op: "setns " + cfg.NetNS, Name: cfg.Name, Err: serr}
			return
		}
		d, err = open(cfg)
		if restore() == nil {
			runtime.UnlockOSThread()
		} // else: the thread stays in the other namespace and is
		// discarded when this goroutine exits locked to it.
	}()
	<-done
	return d, err
}

// enterNetNS moves the calling (locked) thread into the namespace at path
// and returns a function that moves it back.
func enterNetNS(path string) (restore func() error, err error) {
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(self)
		return nil, err
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		unix.Close(self)
		return nil, err
	}
	return func() error {
		defer unix.Close(self)
		return unix.Setns(self, unix.CLONE_NEWNET)
	}, nil
}

func open(cfg Config) (*Device, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, &Error{Op: "open /dev/net/tun", Name: cfg.Name, Err: err}
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()
	ifr, err := unix.NewIfreq(cfg.Name)
	if err != nil {
		return nil, &Error{Op: "ifreq", Name: cfg.Name, Err: err}
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return nil, &Error{Op: "TUNSETIFF", Name: cfg.Name, Err: err}
	}
	name := ifr.Name()
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, virtio.NetHdrLen); err != nil {
		return nil, &Error{Op: "TUNSETVNETHDRSZ", Name: name, Err: err}
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETLE, 1); err != nil && !hostLittleEndian() {
		return nil, &Error{Op: "TUNSETVNETLE", Name: name, Err: err}
	}
	accepted, err := setOffload(fd, cfg.Offload)
	if err != nil {
		return nil, &Error{Op: "TUNSETOFFLOAD", Name: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), "/dev/net/tun:"+name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		ok = true // f owns fd now
		return nil, &Error{Op: "open", Name: name, Err: err}
	}
	ok = true
	d := &Device{f: f, rc: rc, name: name, offload: accepted}
	d.writeFn = d.writev
	return d, nil
}

// setOffload asks for want and, if the kernel refuses flags it does not
// know (EINVAL), drops USO and then ECN and tries again.
func setOffload(fd int, want Offload) (Offload, error) {
	try := []Offload{want, want &^ (OffloadUSO4 | OffloadUSO6), want &^ (OffloadUSO4 | OffloadUSO6 | OffloadTSOECN | OffloadUFO)}
	var err error
	for i, o := range try {
		if i > 0 && o == try[i-1] {
			continue
		}
		err = unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, int(o))
		if err == nil {
			return o, nil
		}
		if !errors.Is(err, unix.EINVAL) {
			return 0, err
		}
	}
	return 0, err
}

func hostLittleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// Name returns the interface name.
func (d *Device) Name() string { return d.name }

// Offload returns the offloads the kernel accepted.
func (d *Device) Offload() Offload { return d.offload }

// SetOffload changes the accepted offloads, with the same fallback as Open,
// and returns what the kernel accepted.
func (d *Device) SetOffload(o Offload) (Offload, error) {
	if err := (Config{Offload: o}).check(); err != nil {
		return d.offload, err
	}
	var (
		got  Offload
		serr error
	)
	err := d.rc.Control(func(fd uintptr) { got, serr = setOffload(int(fd), o) })
	if err == nil {
		err = serr
	}
	if err != nil {
		return d.offload, &Error{Op: "TUNSETOFFLOAD", Name: d.name, Err: err}
	}
	d.offload = got
	return got, nil
}

// ReadPacket reads one packet into buf, which must hold at least
// ReadBufferSize bytes, and returns its virtio-net header and the Ethernet
// frame (a slice of buf). It blocks until a packet arrives or the device is
// closed (os.ErrClosed). A header the virtio package rejects is returned
// with its error and the frame, so a caller may count and drop it.
func (d *Device) ReadPacket(buf []byte) (virtio.NetHdr, []byte, error) {
	if len(buf) < ReadBufferSize {
		return virtio.NetHdr{}, nil, &Error{Op: "read", Name: d.name, Err: ErrShortBuffer}
	}
	n, err := d.f.Read(buf)
	if err != nil {
		return virtio.NetHdr{}, nil, &Error{Op: "read", Name: d.name, Err: err}
	}
	h, err := virtio.DecodeNetHdr(buf[:n])
	if err != nil {
		return h, buf[min(n, virtio.NetHdrLen):n], err
	}
	frame := buf[virtio.NetHdrLen:n]
	if err := h.Validate(len(frame)); err != nil {
		return h, frame, err
	}
	return h, frame, nil
}

// WritePacket sends frame (an Ethernet frame) to the kernel with hdr in
// front of it, using writev so neither is copied. A hdr with a GSO type or
// FlagNeedsCsum makes the kernel segment or checksum the packet as it
// would its own.
func (d *Device) WritePacket(hdr virtio.NetHdr, frame []byte) error {
	if len(frame) < 14 {
		return &Error{Op: "write", Name: d.name, Err: ErrShortBuffer}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	hdr.Encode(d.hdr[:])
	d.iov[0], d.iov[1] = d.hdr[:], frame
	d.written, d.werr = 0, nil
	err := d.rc.Write(d.writeFn)
	d.iov[1] = nil
	if err == nil {
		err = d.werr
	}
	if err != nil {
		if d.closed.Load() {
			err = os.ErrClosed // RawConn reports the poller's own error
		}
		return &Error{Op: "write", Name: d.name, Err: err}
	}
	if d.written != virtio.NetHdrLen+len(frame) {
		return &Error{Op: "write", Name: d.name, Err: errors.New("short write of " + strconv.Itoa(d.written) + " bytes")}
	}
	return nil
}

// writev is the RawConn.Write callback; it is stored once in d.writeFn so
// WritePacket does not allocate a closure per packet.
func (d *Device) writev(fd uintptr) bool {
	n, err := unix.Writev(int(fd), d.iov[:])
	if err == unix.EAGAIN {
		return false
	}
	d.written, d.werr = n, err
	return true
}

// SetReadDeadline sets the time after which a blocked ReadPacket returns
// an error wrapping os.ErrDeadlineExceeded; the zero time means no
// deadline. A receive loop that holds packets (for coalescing, say) uses a
// short deadline to learn that the burst is over, like the end of a NAPI
// poll.
func (d *Device) SetReadDeadline(t time.Time) error { return d.f.SetReadDeadline(t) }

// Close closes the device. A blocked ReadPacket returns os.ErrClosed, and
// so do later calls of ReadPacket and WritePacket.
func (d *Device) Close() error {
	d.closed.Store(true)
	return d.f.Close()
}
