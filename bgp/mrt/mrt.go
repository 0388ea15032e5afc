package mrt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"
)

// Type is an MRT record type (RFC 6396 section 4, IANA registry).
type Type uint16

// The record types this package decodes.
const (
	TypeTableDumpV2 Type = 13
	TypeBGP4MP      Type = 16
	TypeBGP4MPET    Type = 17 // BGP4MP with a microsecond timestamp
)

func (t Type) String() string {
	switch t {
	case TypeTableDumpV2:
		return "TABLE_DUMP_V2"
	case TypeBGP4MP:
		return "BGP4MP"
	case TypeBGP4MPET:
		return "BGP4MP_ET"
	}
	return fmt.Sprintf("type %d", uint16(t))
}

// HeaderLen is the length of the MRT common header.
const HeaderLen = 12

// DefaultMaxRecordLen is the Reader's default limit on a record's length:
// a BGP message of the extended size (RFC 8654) with its BGP4MP framing, or
// a RIB record with many entries.
const DefaultMaxRecordLen = 1 << 20

// Errors wrapped by *Error.
var (
	ErrTruncated = errors.New("mrt: truncated")
	ErrTooLarge  = errors.New("mrt: record longer than the limit")
	ErrValue     = errors.New("mrt: invalid value")
	ErrType      = errors.New("mrt: record of another type")
)

// Error describes a malformed record: the record type and subtype, the
// field, and the offset of the field in the record's message (after the
// common header).
type Error struct {
	Type    Type
	Subtype uint16
	Field   string
	Offset  int
	Err     error
}

func (e *Error) Error() string {
	return fmt.Sprintf("mrt: %v subtype %d: %s at offset %d: %v", e.Type, e.Subtype, e.Field, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// A Record is one MRT record. Data is the message after the common header
// (and after the microsecond field of the _ET types); the Record returned
// by Reader.Next shares the Reader's buffer and is valid until the next
// call.
type Record struct {
	Time    time.Time // seconds, plus microseconds for the _ET types
	Type    Type
	Subtype uint16
	Data    []byte
}

func (r Record) err(field string, off int, err error) *Error {
	return &Error{Type: r.Type, Subtype: r.Subtype, Field: field, Offset: off, Err: err}
}

// Append appends the record's wire form to dst.
func (r Record) Append(dst []byte) []byte {
	n := len(r.Data)
	et := r.Type == TypeBGP4MPET
	if et {
		n += 4
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(r.Time.Unix()))
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Type))
	dst = binary.BigEndian.AppendUint16(dst, r.Subtype)
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	if et {
		dst = binary.BigEndian.AppendUint32(dst, uint32(r.Time.Nanosecond()/1000))
	}
	return append(dst, r.Data...)
}

// A Reader reads MRT records from a stream.
type Reader struct {
	r      io.Reader
	hdr    [HeaderLen]byte
	buf    []byte
	max    int
	offset int64 // of the next record in the stream
}

// NewReader returns a Reader with the DefaultMaxRecordLen limit.
func NewReader(r io.Reader) *Reader { return &Reader{r: r, max: DefaultMaxRecordLen} }

// SetMaxRecordLen changes the limit on a record's length.
func (r *Reader) SetMaxRecordLen(n int) { r.max = n }

// Next returns the next record, or io.EOF at the end of the stream. A
// stream that ends inside a record gives an *Error wrapping ErrTruncated,
// and a record longer than the limit one wrapping ErrTooLarge; the Reader
// cannot go on after either.
func (r *Reader) Next() (Record, error) {
	h := r.hdr[:]
	if _, err := io.ReadFull(r.r, h); err != nil {
		if err == io.EOF {
			return Record{}, io.EOF
		}
		return Record{}, &Error{Field: "common header", Offset: int(r.offset), Err: ErrTruncated}
	}
	rec := Record{
		Time:    time.Unix(int64(binary.BigEndian.Uint32(h[0:])), 0).UTC(),
		Type:    Type(binary.BigEndian.Uint16(h[4:])),
		Subtype: binary.BigEndian.Uint16(h[6:]),
	}
	n := binary.BigEndian.Uint32(h[8:])
	if int64(n) > int64(r.max) {
		return Record{}, rec.err("length", 8, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, r.max))
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	data := r.buf[:n]
	if _, err := io.ReadFull(r.r, data); err != nil {
		return Record{}, rec.err("message", 0, ErrTruncated)
	}
	r.offset += HeaderLen + int64(n)
	if rec.Type == TypeBGP4MPET {
		if len(data) < 4 {
			return Record{}, rec.err("microsecond timestamp", 0, ErrTruncated)
		}
		us := binary.BigEndian.Uint32(data)
		if us >= 1e6 {
			return Record{}, rec.err("microsecond timestamp", 0, ErrValue)
		}
		rec.Time = rec.Time.Add(time.Duration(us) * time.Microsecond)
		data = data[4:]
	}
	rec.Data = data
	return rec, nil
}

// All yields every record and then stops; an error other than io.EOF is
// yielded once as the last element.
func (r *Reader) All() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// A Writer writes MRT records to a stream. It buffers nothing: each Write
// is one call of the underlying writer.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes one record.
func (w *Writer) Write(r Record) error {
	w.buf = r.Append(w.buf[:0])
	_, err := w.w.Write(w.buf)
	return err
}
