//go:build !linux

package lab

// supported: labs need Linux.
func supported() error { return ErrUnsupported }

// Namespaces returns nothing: there are no network namespaces here.
func Namespaces(prefix string) ([]string, error) { return nil, nil }

// Down has nothing to remove here.
func Down(prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	return nil, nil
}

func inNamespace(ns string, fn func() error) error { return ErrUnsupported }
