package store

import (
	"fmt"
	"unicode/utf8"
)

// Limits every Store enforces, so that the embedded store and etcd accept
// exactly the same requests (etcd refuses requests above 1.5 MiB by
// default, and transactions above 128 operations).
const (
	MaxKeyLen     = 512
	MaxValueSize  = 1 << 20
	MaxOps        = 128
	MaxApplyBytes = MaxValueSize + 256<<10
)

// CheckKey reports whether key is a valid key: it starts with '/', is at
// most MaxKeyLen bytes of UTF-8 and holds no control characters.
func CheckKey(key string) error {
	if len(key) == 0 || key[0] != '/' {
		return fmt.Errorf("%w: key %q must start with '/'", ErrInvalid, key)
	}
	return checkKeyBytes(key)
}

// CheckPrefix validates a List or Watch prefix and returns it normalised:
// "" (everything) becomes "/".
func CheckPrefix(prefix string) (string, error) {
	if prefix == "" {
		return "/", nil
	}
	if err := CheckKey(prefix); err != nil {
		return "", err
	}
	return prefix, nil
}

func checkKeyBytes(key string) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: key is %d bytes, more than %d", ErrInvalid, len(key), MaxKeyLen)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: key %q is not UTF-8", ErrInvalid, key)
	}
	for i, r := range key {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: key %q has a control character at byte %d", ErrInvalid, key, i)
		}
	}
	return nil
}

// CheckWatch validates Watch's arguments and returns the prefix
// normalised as CheckPrefix does; afterRevision is 0 (from the start of
// the history) or a revision. The error is an *Error wrapping ErrInvalid.
func CheckWatch(prefix string, afterRevision int64) (string, error) {
	p, err := CheckPrefix(prefix)
	if err == nil && afterRevision < 0 {
		err = fmt.Errorf("%w: watch after revision %d", ErrInvalid, afterRevision)
	}
	if err != nil {
		return "", &Error{Op: "watch", Key: prefix, Err: err}
	}
	return p, nil
}
