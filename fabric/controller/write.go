package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// snapshot is the whole state as one store List saw it.
type snapshot struct {
	fence int64              // FenceKey's ModRevision (0: absent)
	objs  map[string]*cached // by store key
}

// take reads the state. The caller holds c.mu.
func (c *Controller) take(ctx context.Context) (*snapshot, error) {
	kvs, _, err := c.st.List(ctx, snapshotPrefix)
	c.countOp("list", err)
	if err != nil {
		return nil, storeErr(err, "", "")
	}
	s := &snapshot{objs: make(map[string]*cached, len(kvs))}
	next := make(map[string]cached, len(kvs))
	clear(c.kinds)
	for _, kv := range kvs {
		if kv.Key == FenceKey {
			s.fence = kv.ModRevision
			continue
		}
		if !strings.HasPrefix(kv.Key, model.KeyPrefix) {
			continue
		}
		e, ok := c.cache[kv.Key]
		if !ok || e.mod != kv.ModRevision {
			o, err := decode(kv)
			if err != nil {
				return nil, err
			}
			e = cached{mod: kv.ModRevision, create: kv.CreateRevision, obj: o}
		}
		next[kv.Key] = e
		s.objs[kv.Key] = &e
		c.kinds[e.obj.Kind]++
	}
	c.cache = next
	return s, nil
}

// change is one resource write of a commit.
type change struct {
	verb string        // created, updated, status updated, deleted
	obj  *model.Object // nil for a delete
	kind model.Kind
	name string
	// ifRev is the key's ModRevision in the snapshot (0: absent).
	ifRev int64
	// validate says whether the rules run on obj (spec changes).
	validate bool
	// old is the current version an update replaces.
	old *cached
}

func (ch *change) key() string { return model.Key(ch.kind, ch.name) }

// plan builds a commit's changes from a snapshot, or refuses.
type plan func(s *snapshot) ([]change, error)

// commit runs one serialized write: snapshot, plan, allocate and validate
// the candidate state, then Apply the changes, the event log entry and the
// fence together. It retries when another writer committed since the
// snapshot. The result holds the written objects with their new version.
func (c *Controller) commit(ctx context.Context, verb string, p plan) ([]model.Object, int64, error) {
	for range maxCommitAttempts {
		out, rev, err, retry := c.try(ctx, verb, p)
		if !retry {
			c.countCommit(verb, err)
			if err != nil {
				c.recordFailure(ctx, verb, err)
			}
			return out, rev, err
		}
	}
	err := &api.Error{Err: api.ErrUnavailable, Detail: "the state kept changing under this write; retry"}
	c.countCommit(verb, err)
	return nil, 0, err
}

func (c *Controller) countCommit(verb string, err error) {
	if c.commits == nil {
		return
	}
	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, api.ErrInvalid):
		result = "invalid"
	case errors.Is(err, api.ErrConflict):
		result = "conflict"
	default:
		result = "error"
	}
	c.commits.With(verb, result).Inc()
}

func (c *Controller) try(ctx context.Context, verb string, p plan) (out []model.Object, rev int64, err error, retry bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap, err := c.take(ctx)
	if err != nil {
		return nil, 0, err, false
	}
	changes, err := p(snap)
	if err != nil {
		return nil, 0, err, false
	}
	if err := c.validate(snap, changes); err != nil {
		return nil, 0, err, false
	}
	var written []change
	ops := make([]store.Op, 0, len(changes)+4)
	for _, ch := range changes {
		switch {
		case ch.verb == "unchanged":
			continue
		case ch.obj == nil:
			ops = append(ops, store.DeleteOp(ch.key(), ch.ifRev))
		default:
			b, err := encode(*ch.obj)
			if err != nil {
				return nil, 0, err, false
			}
			ops = append(ops, store.PutOp(ch.key(), b, ch.ifRev))
		}
		written = append(written, ch)
	}
	if len(written) > 0 {
		if verb != "status" {
			// Status reports are the agents' heartbeats, not changes
			// worth an event each.
			evOps, err := c.eventOps(snap, []model.EventSpec{c.successEvent(verb, written)})
			if err != nil {
				return nil, 0, err, false
			}
			ops = append(ops, evOps...)
		}
		ops = append(ops, store.PutOp(FenceKey, []byte(c.source), snap.fence))
		rev, err = c.st.Apply(ctx, ops)
		c.countOp("apply", err)
		if err == nil {
			c.countResources(ops)
		}
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				// Another writer committed since the snapshot (the
				// fence moved, or a key changed under a writer that
				// bypassed it): plan again on the new state.
				c.log.Debug("commit lost a race; retrying", "verb", verb, "err", err)
				return nil, 0, err, true
			}
			return nil, 0, storeErr(err, "", ""), false
		}
	}
	for _, ch := range changes {
		var o model.Object
		switch {
		case ch.verb == "unchanged":
			o = ch.old.obj
		case ch.obj != nil:
			o = *ch.obj
			o.Metadata.ResourceVersion = strconv.FormatInt(rev, 10)
		default:
			o = snap.objs[ch.key()].obj
			o.Metadata.ResourceVersion = strconv.FormatInt(rev, 10)
		}
		out = append(out, o)
		if ch.verb != "unchanged" {
			c.log.Info("resource "+ch.verb, "kind", ch.kind, "name", ch.name, "revision", rev)
		}
	}
	return out, rev, nil, false
}

// validate allocates and validates each changed object against the
// candidate state (the snapshot with the changes applied, in order), then
// the whole candidate state.
func (c *Controller) validate(snap *snapshot, changes []change) error {
	cand := make(map[string]*model.Object, len(snap.objs)+len(changes))
	for k, e := range snap.objs {
		if e.obj.Kind != model.KindEvent {
			cand[k] = &e.obj
		}
	}
	any := false
	for i := range changes {
		ch := &changes[i]
		if ch.obj == nil {
			continue
		}
		if ch.validate {
			any = true
			// The state holds the resource's current version, if any,
			// so an allocation the new spec leaves empty can be kept.
			if err := c.rules.Allocate(stateOf(cand), ch.obj); err != nil {
				return invalid(ch.kind, ch.name, "allocation failed", err)
			}
			if ch.old != nil {
				// After allocation, so a spec that leaves an allocated
				// field empty is not a change.
				if !specEqual(ch.old.obj.Spec, ch.obj.Spec) {
					ch.obj.Metadata.Generation++
				} else if maps.Equal(ch.old.obj.Metadata.Labels, ch.obj.Metadata.Labels) &&
					maps.Equal(ch.old.obj.Metadata.Annotations, ch.obj.Metadata.Annotations) {
					ch.verb = "unchanged"
				}
			}
			if err := c.rules.ValidateObject(ch.obj); err != nil {
				return invalid(ch.kind, ch.name, "", err)
			}
		}
		if !ch.validate && ch.verb != "unchanged" {
			// A status report: the spec state is unchanged, but the
			// status must be the kind's.
			if err := c.rules.ValidateObject(ch.obj); err != nil {
				return invalid(ch.kind, ch.name, "", err)
			}
		}
		cand[ch.key()] = ch.obj
	}
	for _, ch := range changes {
		if ch.obj == nil {
			delete(cand, ch.key())
		}
	}
	if !any && !slices.ContainsFunc(changes, func(ch change) bool { return ch.obj == nil }) {
		return nil // status only: the spec state is unchanged
	}
	if err := c.rules.ValidateState(stateOf(cand)); err != nil {
		var kind model.Kind
		var name string
		if len(changes) == 1 {
			kind, name = changes[0].kind, changes[0].name
		}
		return invalid(kind, name, "the resulting state is invalid", err)
	}
	return nil
}

// stateOf lists a candidate state in key order.
func stateOf(m map[string]*model.Object) []model.Object {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]model.Object, len(keys))
	for i, k := range keys {
		out[i] = *m[k]
	}
	return out
}

func invalid(kind model.Kind, name, detail string, err error) error {
	if detail == "" {
		detail = "validation failed"
	}
	return &api.Error{Err: api.ErrInvalid, Kind: kind, Name: name, Detail: detail, Fields: fieldErrors(err)}
}

// specEqual compares two raw specs as JSON values.
func specEqual(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// versionCheck refuses a write conditional on a version other than the
// snapshot's.
func versionCheck(kind model.Kind, name string, cur *cached, ifVersion int64) error {
	if cur == nil {
		return &api.Error{Err: api.ErrNotFound, Kind: kind, Name: name}
	}
	if ifVersion != 0 && ifVersion != cur.mod {
		return &api.Error{Err: api.ErrConflict, Kind: kind, Name: name,
			ResourceVersion: strconv.FormatInt(cur.mod, 10),
			Detail:          fmt.Sprintf("resourceVersion %d is stale: the resource is at %d; get it and retry", ifVersion, cur.mod)}
	}
	return nil
}

// createChange prepares o as a new resource.
func (c *Controller) createChange(o model.Object) change {
	o.Metadata.ResourceVersion = ""
	o.Metadata.Generation = 1
	o.Metadata.CreationTimestamp = c.now().UTC()
	o.Status = nil
	return change{verb: "created", obj: &o, kind: o.Kind, name: o.Metadata.Name, validate: true}
}

// updateChange prepares o as the new spec, labels and annotations of cur.
func updateChange(cur *cached, o model.Object) change {
	m := cur.obj.Metadata
	m.ResourceVersion = ""
	m.Labels, m.Annotations = o.Metadata.Labels, o.Metadata.Annotations
	n := model.Object{APIVersion: model.APIVersion, Kind: o.Kind, Metadata: m, Spec: o.Spec, Status: cur.obj.Status}
	return change{verb: "updated", obj: &n, kind: o.Kind, name: o.Metadata.Name, ifRev: cur.mod, validate: true, old: cur}
}

// Create adds a new resource.
func (c *Controller) Create(ctx context.Context, o model.Object) (model.Object, error) {
	if err := checkName(o.Kind, o.Metadata.Name); err != nil {
		return model.Object{}, err
	}
	out, _, err := c.commit(ctx, "create", func(s *snapshot) ([]change, error) {
		if cur := s.objs[model.Key(o.Kind, o.Metadata.Name)]; cur != nil {
			return nil, &api.Error{Err: api.ErrConflict, Kind: o.Kind, Name: o.Metadata.Name,
				ResourceVersion: strconv.FormatInt(cur.mod, 10), Detail: "already exists"}
		}
		return []change{c.createChange(o)}, nil
	})
	if err != nil {
		return model.Object{}, err
	}
	return out[0], nil
}

// Update replaces a resource's spec, labels and annotations.
func (c *Controller) Update(ctx context.Context, o model.Object, ifVersion int64) (model.Object, error) {
	if err := checkName(o.Kind, o.Metadata.Name); err != nil {
		return model.Object{}, err
	}
	out, _, err := c.commit(ctx, "update", func(s *snapshot) ([]change, error) {
		cur := s.objs[model.Key(o.Kind, o.Metadata.Name)]
		if err := versionCheck(o.Kind, o.Metadata.Name, cur, ifVersion); err != nil {
			return nil, err
		}
		return []change{updateChange(cur, o)}, nil
	})
	if err != nil {
		return model.Object{}, err
	}
	return out[0], nil
}

// UpdateStatus replaces a resource's status.
func (c *Controller) UpdateStatus(ctx context.Context, o model.Object, ifVersion int64) (model.Object, error) {
	if err := checkName(o.Kind, o.Metadata.Name); err != nil {
		return model.Object{}, err
	}
	out, _, err := c.commit(ctx, "status", func(s *snapshot) ([]change, error) {
		cur := s.objs[model.Key(o.Kind, o.Metadata.Name)]
		if err := versionCheck(o.Kind, o.Metadata.Name, cur, ifVersion); err != nil {
			return nil, err
		}
		n := cur.obj
		n.Metadata.ResourceVersion = ""
		n.Status = o.Status
		ch := change{verb: "status updated", obj: &n, kind: o.Kind, name: o.Metadata.Name, ifRev: cur.mod, old: cur}
		if specEqual(cur.obj.Status, o.Status) {
			ch.verb = "unchanged"
		}
		return []change{ch}, nil
	})
	if err != nil {
		return model.Object{}, err
	}
	return out[0], nil
}

// Delete removes a resource; the state without it must still be valid
// (nothing may refer to it).
func (c *Controller) Delete(ctx context.Context, kind model.Kind, name string, ifVersion int64) (model.Object, error) {
	if err := checkName(kind, name); err != nil {
		return model.Object{}, err
	}
	out, _, err := c.commit(ctx, "delete", func(s *snapshot) ([]change, error) {
		cur := s.objs[model.Key(kind, name)]
		if err := versionCheck(kind, name, cur, ifVersion); err != nil {
			return nil, err
		}
		return []change{{verb: "deleted", kind: kind, name: name, ifRev: cur.mod}}, nil
	})
	if err != nil {
		return model.Object{}, err
	}
	return out[0], nil
}

// Apply creates or updates objs all-or-nothing: one store Apply commits
// every object or none.
func (c *Controller) Apply(ctx context.Context, objs []model.Object) ([]model.Object, int64, error) {
	if len(objs) == 0 {
		return []model.Object{}, 0, nil
	}
	if len(objs) > MaxBatch {
		return nil, 0, &api.Error{Err: api.ErrBadRequest, Detail: fmt.Sprintf("%d objects in one batch, more than %d", len(objs), MaxBatch)}
	}
	seen := make(map[string]bool, len(objs))
	for i, o := range objs {
		if err := checkName(o.Kind, o.Metadata.Name); err != nil {
			return nil, 0, err
		}
		k := model.Key(o.Kind, o.Metadata.Name)
		if seen[k] {
			return nil, 0, &api.Error{Err: api.ErrBadRequest, Kind: o.Kind, Name: o.Metadata.Name,
				Fields: []api.FieldError{{Field: fmt.Sprintf("items[%d]", i), Detail: "the same resource appears twice in the batch"}}}
		}
		seen[k] = true
	}
	return c.commit(ctx, "apply", func(s *snapshot) ([]change, error) {
		changes := make([]change, 0, len(objs))
		for _, o := range objs {
			cur := s.objs[model.Key(o.Kind, o.Metadata.Name)]
			var want int64
			if v := o.Metadata.ResourceVersion; v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n <= 0 {
					return nil, &api.Error{Err: api.ErrBadRequest, Kind: o.Kind, Name: o.Metadata.Name,
						Fields: []api.FieldError{{Field: "metadata.resourceVersion", Detail: fmt.Sprintf("%q is not a resourceVersion", v)}}}
				}
				want = n
			}
			if cur == nil {
				if want != 0 {
					return nil, &api.Error{Err: api.ErrConflict, Kind: o.Kind, Name: o.Metadata.Name,
						Detail: fmt.Sprintf("resourceVersion %d given but the resource does not exist", want)}
				}
				changes = append(changes, c.createChange(o))
				continue
			}
			if err := versionCheck(o.Kind, o.Metadata.Name, cur, want); err != nil {
				return nil, err
			}
			changes = append(changes, updateChange(cur, o))
		}
		return changes, nil
	})
}
