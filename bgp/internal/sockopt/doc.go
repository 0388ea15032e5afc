// Package sockopt sets the TCP and IP socket options a BGP session needs on
// Linux: TCP-MD5 signatures (RFC 2385), the Generalized TTL Security
// Mechanism (RFC 5082: send with TTL 255, accept only a minimum TTL), the
// TTL of eBGP multihop sessions, and opening sockets inside another
// network namespace. Elsewhere every function returns ErrUnsupported.
package sockopt

import "errors"

// ErrUnsupported is returned on systems without these socket options.
var ErrUnsupported = errors.New("socket option not supported on this system")
