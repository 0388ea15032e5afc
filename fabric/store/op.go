package store

import (
	"bytes"
	"fmt"
)

// OpType is the kind of write an Op makes.
type OpType uint8

// Op types.
const (
	OpPut OpType = iota + 1
	OpDelete
)

// Op is one write of an Apply batch, with its own revision condition.
type Op struct {
	Type       OpType
	Key        string
	Value      []byte // OpPut only
	IfRevision int64  // MustNotExist (OpPut only), Any, or a ModRevision
}

// PutOp returns an Op that writes key if ifRevision holds.
func PutOp(key string, value []byte, ifRevision int64) Op {
	return Op{Type: OpPut, Key: key, Value: value, IfRevision: ifRevision}
}

// DeleteOp returns an Op that deletes key if ifRevision holds.
func DeleteOp(key string, ifRevision int64) Op {
	return Op{Type: OpDelete, Key: key, IfRevision: ifRevision}
}

// CheckOps validates a batch before any backend touches it: keys, value
// sizes, conditions, at most MaxOps ops and MaxApplyBytes bytes, no key
// twice. The error is an *Error wrapping ErrInvalid naming the key.
func CheckOps(op string, ops []Op) error {
	if len(ops) > MaxOps {
		return &Error{Op: op, Err: fmt.Errorf("%w: %d ops, more than %d", ErrInvalid, len(ops), MaxOps)}
	}
	total := 0
	var seen map[string]struct{}
	if len(ops) > 1 {
		seen = make(map[string]struct{}, len(ops))
	}
	for i := range ops {
		o := &ops[i]
		if err := o.check(); err != nil {
			return &Error{Op: op, Key: o.Key, Err: err}
		}
		if seen != nil {
			if _, dup := seen[o.Key]; dup {
				return &Error{Op: op, Key: o.Key, Err: fmt.Errorf("%w: key appears twice in one batch", ErrInvalid)}
			}
			seen[o.Key] = struct{}{}
		}
		total += len(o.Key) + len(o.Value)
	}
	if total > MaxApplyBytes {
		return &Error{Op: op, Err: fmt.Errorf("%w: batch is %d bytes, more than %d", ErrInvalid, total, MaxApplyBytes)}
	}
	return nil
}

func (o *Op) check() error {
	if err := CheckKey(o.Key); err != nil {
		return err
	}
	if o.IfRevision < Any {
		return fmt.Errorf("%w: revision condition %d", ErrInvalid, o.IfRevision)
	}
	switch o.Type {
	case OpPut:
		if len(o.Value) > MaxValueSize {
			return fmt.Errorf("%w: value is %d bytes, more than %d", ErrInvalid, len(o.Value), MaxValueSize)
		}
	case OpDelete:
		if o.IfRevision == MustNotExist {
			return fmt.Errorf("%w: delete with condition MustNotExist", ErrInvalid)
		}
		if o.Value != nil {
			return fmt.Errorf("%w: delete with a value", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: op type %d", ErrInvalid, o.Type)
	}
	return nil
}

// Precondition reports whether o may be applied to the key's current state
// cur (exists says whether the key exists). It returns nil, or an *Error
// wrapping ErrConflict (with the actual revision) or ErrNotFound. Backends
// that evaluate conditions themselves use it so every backend agrees.
func (o *Op) Precondition(op string, cur KV, exists bool) error {
	actual := int64(0)
	if exists {
		actual = cur.ModRevision
	}
	switch {
	case o.Type == OpDelete && !exists:
		return &Error{Op: op, Key: o.Key, Err: ErrNotFound}
	case o.IfRevision == Any:
		return nil
	case o.IfRevision != actual:
		return &Error{Op: op, Key: o.Key, Revision: actual, Err: ErrConflict}
	}
	return nil
}

// Event returns the event o makes when committed at rev over the key's
// current state cur (exists says whether the key exists): a put keeps the
// key's CreateRevision and owns a copy of the value (never nil), a delete
// carries only the key and rev. Embedded backends use it so their stored
// KVs and watch events agree.
func (o *Op) Event(rev int64, cur KV, exists bool) Event {
	if o.Type == OpDelete {
		return Event{Type: EventDelete, KV: KV{Key: o.Key, ModRevision: rev}}
	}
	kv := KV{Key: o.Key, Value: bytes.Clone(o.Value), CreateRevision: rev, ModRevision: rev}
	if kv.Value == nil {
		kv.Value = []byte{}
	}
	if exists {
		kv.CreateRevision = cur.CreateRevision
	}
	return Event{Type: EventPut, KV: kv}
}
