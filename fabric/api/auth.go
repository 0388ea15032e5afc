package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// TokenFile is the name of the token file in a data directory.
const TokenFile = "token"

// LoadOrCreateToken returns the bearer token kept in dir/token, creating
// dir (0700) and the token (32 random bytes, base64url, mode 0600) at
// first start. A token file readable by group or others is refused.
func LoadOrCreateToken(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, TokenFile)
	tok, err := ReadToken(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return tok, err
	}
	var raw [32]byte
	rand.Read(raw[:]) // crypto/rand.Read never fails
	tok = base64.RawURLEncoding.EncodeToString(raw[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ReadToken(path) // another process created it first
	}
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	return tok, f.Close()
}

// ReadToken reads a token file written by LoadOrCreateToken.
func ReadToken(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("token file %s has mode %v: must not be readable by group or others", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 || strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", fmt.Errorf("token file %s: not a token", path)
	}
	return tok, nil
}

// tokenChecker compares bearer tokens in constant time: both sides are
// hashed first, so neither the content nor the length of the expected
// token leaks through timing.
type tokenChecker struct{ want [sha256.Size]byte }

func newTokenChecker(token string) tokenChecker {
	return tokenChecker{sha256.Sum256([]byte(token))}
}

// check reports whether r carries the token in an Authorization: Bearer
// header (RFC 6750 section 2.1; the scheme is case-insensitive).
func (c tokenChecker) check(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(scheme):])))
	return subtle.ConstantTimeCompare(got[:], c.want[:]) == 1
}
