package provision

import "fmt"

// ImageKind says how an image was captured.
type ImageKind uint8

const (
	// Generalized images were sysprep'd before capture: machine identity
	// (SID, computer name) was removed, so the image may be cloned many times.
	Generalized ImageKind = iota + 1
	// Specialized images are point-in-time snapshots of one machine. Cloning
	// one gives every copy the same identity on the same network, so it is
	// refused.
	Specialized
)

func (k ImageKind) String() string {
	switch k {
	case Generalized:
		return "generalized"
	case Specialized:
		return "specialized"
	}
	return fmt.Sprintf("ImageKind(%d)", uint8(k))
}

// Image is a master image instances are cloned from.
type Image struct {
	Name string
	Kind ImageKind
}

// CaptureSource describes the machine an image is captured from.
type CaptureSource struct {
	Machine    string
	Sysprepped bool     // generalized with sysprep before shutdown
	DataDisks  []string // data disks still attached; capture refuses them
}

// Capture makes an image from src. A machine with data disks attached is
// refused (the captured image would carry them into every clone); a machine
// that was not sysprep'd yields a Specialized image.
func Capture(name string, src CaptureSource) (Image, error) {
	if len(src.DataDisks) > 0 {
		return Image{}, &ImageError{Image: name, Op: "capture", Err: ErrDataDisksAttached,
			Detail: fmt.Sprintf("machine %q has %d data disk(s) attached (%s); detach them before capture", src.Machine, len(src.DataDisks), src.DataDisks[0])}
	}
	kind := Specialized
	if src.Sysprepped {
		kind = Generalized
	}
	return Image{Name: name, Kind: kind}, nil
}

// CheckClone reports whether the image may be cloned into many instances.
func (im Image) CheckClone() error {
	switch im.Kind {
	case Generalized:
		return nil
	case Specialized:
		return &ImageError{Image: im.Name, Op: "clone", Err: ErrSpecializedImage,
			Detail: "a specialized image is a point-in-time snapshot of one machine; clones would share its identity, so sysprep (generalize) the source and capture again"}
	}
	return &ImageError{Image: im.Name, Op: "clone", Err: ErrUnknownImageKind, Detail: im.Kind.String()}
}
