package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// BackupFormat is the first word of a backup file's header line.
const BackupFormat = "sdnfabric-store-backup"

// BackupVersion is the format version Backup writes and Restore reads.
const BackupVersion = 1

// BackupInfo describes a backup: the revision of the store it was taken
// from and how many keys it holds.
type BackupInfo struct {
	Revision int64
	Keys     int
}

// backupEntry is one key of a backup file. Value is base64 in JSON.
type backupEntry struct {
	Key            string `json:"key"`
	Value          []byte `json:"value"`
	CreateRevision int64  `json:"create"`
	ModRevision    int64  `json:"mod"`
}

// BackupError is the error of a backup file Restore refuses; it wraps
// ErrCorrupt. Line is the 1-based line at fault (0: the file as a whole).
type BackupError struct {
	Line int
	Err  error
}

func (e *BackupError) Error() string {
	if e.Line == 0 {
		return "store: backup: " + e.Err.Error()
	}
	return fmt.Sprintf("store: backup line %d: %v", e.Line, e.Err)
}

func (e *BackupError) Unwrap() error { return e.Err }

func backupErr(line int, format string, args ...any) error {
	return &BackupError{Line: line, Err: fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)}
}

// Backup writes every key of s, from one consistent List, to w:
//
//	sdnfabric-store-backup 1 revision=<rev> keys=<n>
//	{"key":"/v1/...","value":"<base64>","create":<rev>,"mod":<rev>}
//	... one JSON line per key, sorted by key ...
//	sha256 <lower-case hex SHA-256 of every byte before this line>
//
// Lines end with "\n" and nothing follows the last one. The revisions are
// kept for information; a restored store gives the keys new ones.
func Backup(ctx context.Context, s Store, w io.Writer) (BackupInfo, error) {
	kvs, rev, err := s.List(ctx, "")
	if err != nil {
		return BackupInfo{}, err
	}
	h := sha256.New()
	bw := bufio.NewWriter(io.MultiWriter(w, h))
	fmt.Fprintf(bw, "%s %d revision=%d keys=%d\n", BackupFormat, BackupVersion, rev, len(kvs))
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, kv := range kvs {
		if err := enc.Encode(backupEntry{kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision}); err != nil {
			return BackupInfo{}, &Error{Op: "backup", Key: kv.Key, Err: err}
		}
	}
	if err := bw.Flush(); err != nil {
		return BackupInfo{}, &Error{Op: "backup", Err: err}
	}
	if _, err := fmt.Fprintf(w, "sha256 %x\n", h.Sum(nil)); err != nil {
		return BackupInfo{}, &Error{Op: "backup", Err: err}
	}
	return BackupInfo{Revision: rev, Keys: len(kvs)}, nil
}

// Restore reads a backup written by Backup into s, which must be empty
// (else ErrNotEmpty). It reads and verifies the whole file first: a
// damaged, truncated or unknown-version file is refused with a
// *BackupError wrapping ErrCorrupt before anything is written. The keys
// are then created in batches of at most MaxOps ops with MustNotExist
// conditions; on a backend that fails part way (etcd going away) the
// store can hold a prefix of the backup, which a retry into a cleared
// store repairs.
func Restore(ctx context.Context, s Store, r io.Reader) (BackupInfo, error) {
	entries, info, err := readBackup(r)
	if err != nil {
		return BackupInfo{}, err
	}
	existing, _, err := s.List(ctx, "")
	if err != nil {
		return BackupInfo{}, err
	}
	if len(existing) > 0 {
		return BackupInfo{}, &Error{Op: "restore", Err: fmt.Errorf("%w: it holds %d keys", ErrNotEmpty, len(existing))}
	}
	var ops []Op
	size := 0
	for i, e := range entries {
		ops = append(ops, PutOp(e.Key, e.Value, MustNotExist))
		size += len(e.Key) + len(e.Value)
		last := i == len(entries)-1
		if last || len(ops) == MaxOps || size+len(entries[i+1].Key)+len(entries[i+1].Value) > MaxApplyBytes {
			if _, err := s.Apply(ctx, ops); err != nil {
				return BackupInfo{}, err
			}
			ops, size = ops[:0], 0
		}
	}
	return info, nil
}

// maxBackupLine bounds one line: a key of MaxKeyLen bytes escaped as
// \uXXXX, a base64 value of MaxValueSize bytes, and the JSON around them.
const maxBackupLine = 6*MaxKeyLen + (MaxValueSize+2)/3*4 + 256

// readBackup parses and verifies a whole backup file.
func readBackup(r io.Reader) ([]backupEntry, BackupInfo, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	h := sha256.New()
	line := 0
	next := func() ([]byte, error) {
		line++
		return readLine(br, h, line)
	}
	head, err := next()
	if err != nil {
		return nil, BackupInfo{}, err
	}
	info, err := parseHeader(head)
	if err != nil {
		return nil, BackupInfo{}, err
	}
	entries := make([]backupEntry, 0, min(info.Keys, 1<<12))
	for range info.Keys {
		b, err := next()
		if err != nil {
			return nil, BackupInfo{}, err
		}
		var e backupEntry
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, BackupInfo{}, backupErr(line, "%v", err)
		}
		if dec.InputOffset() != int64(len(b)) {
			return nil, BackupInfo{}, backupErr(line, "data after the entry at byte %d", dec.InputOffset())
		}
		if err := CheckKey(e.Key); err != nil {
			return nil, BackupInfo{}, backupErr(line, "%v", err)
		}
		if len(entries) > 0 && e.Key <= entries[len(entries)-1].Key {
			return nil, BackupInfo{}, backupErr(line, "key %q out of order", e.Key)
		}
		if len(e.Value) > MaxValueSize {
			return nil, BackupInfo{}, backupErr(line, "value of %q is %d bytes, more than %d", e.Key, len(e.Value), MaxValueSize)
		}
		if e.Value == nil {
			e.Value = []byte{}
		}
		entries = append(entries, e)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	line++
	trailer, err := readLine(br, nil, line)
	if err != nil {
		return nil, BackupInfo{}, err
	}
	got, ok := strings.CutPrefix(string(trailer), "sha256 ")
	if !ok {
		return nil, BackupInfo{}, backupErr(line, "want the sha256 trailer after %d keys", info.Keys)
	}
	if got != sum {
		return nil, BackupInfo{}, backupErr(line, "checksum %.16s..., file hashes to %.16s...", got, sum)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, BackupInfo{}, backupErr(line+1, "data after the trailer")
	}
	return entries, info, nil
}

// readLine reads one "\n"-terminated line of at most maxBackupLine bytes,
// hashing it (with its newline) into h if h is not nil.
func readLine(br *bufio.Reader, h hash.Hash, line int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxBackupLine {
			return nil, backupErr(line, "line longer than %d bytes", maxBackupLine)
		}
		switch {
		case err == nil:
			if h != nil {
				h.Write(buf)
			}
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil, backupErr(line, "file truncated")
		default:
			return nil, &BackupError{Line: line, Err: err}
		}
	}
}

func parseHeader(b []byte) (BackupInfo, error) {
	f := strings.Split(string(b), " ")
	if len(f) != 4 || f[0] != BackupFormat {
		return BackupInfo{}, backupErr(1, "not a %s header", BackupFormat)
	}
	if f[1] != strconv.Itoa(BackupVersion) {
		return BackupInfo{}, backupErr(1, "format version %q, want %d", f[1], BackupVersion)
	}
	var info BackupInfo
	rev, ok1 := strings.CutPrefix(f[2], "revision=")
	keys, ok2 := strings.CutPrefix(f[3], "keys=")
	var err1, err2 error
	info.Revision, err1 = strconv.ParseInt(rev, 10, 64)
	info.Keys, err2 = strconv.Atoi(keys)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || info.Revision < 0 || info.Keys < 0 {
		return BackupInfo{}, backupErr(1, "bad revision or key count")
	}
	return info, nil
}
