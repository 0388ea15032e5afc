package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// successEvent describes a commit's changes.
func (c *Controller) successEvent(verb string, changes []change) model.EventSpec {
	ev := model.EventSpec{Time: c.now().UTC(), Type: model.EventNormal, Source: c.source}
	if len(changes) > 0 {
		ev.Object = model.ObjectRef{Kind: changes[0].kind, Name: changes[0].name}
	}
	if len(changes) == 1 {
		ch := changes[0]
		ev.Reason = reason(ch.verb)
		ev.Message = fmt.Sprintf("%s %s/%s", ch.verb, ch.kind, ch.name)
		return ev
	}
	ev.Reason = "Applied"
	var b strings.Builder
	fmt.Fprintf(&b, "applied %d resources:", len(changes))
	for _, ch := range changes {
		fmt.Fprintf(&b, " %s %s/%s;", ch.verb, ch.kind, ch.name)
	}
	ev.Message = truncate(strings.TrimSuffix(b.String(), ";"), model.MaxEventMessage)
	return ev
}

// reason turns a change verb into an event reason ("status updated" ->
// "StatusUpdated").
func reason(verb string) string {
	var b strings.Builder
	for w := range strings.FieldsSeq(verb) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut-- // keep UTF-8 whole
	}
	return s[:cut] + "..."
}

// eventOps returns the store ops that add specs to the event log and
// delete the oldest events beyond the limit. The caller holds c.mu.
func (c *Controller) eventOps(snap *snapshot, specs []model.EventSpec) ([]store.Op, error) {
	var ops []store.Op
	for _, spec := range specs {
		c.seq++
		name := fmt.Sprintf("ev-%019d-%04d", spec.Time.UnixNano(), c.seq%10000)
		if spec.Object.Kind == "" || spec.Object.Name == "" {
			// An event about no resource in particular (the
			// controller starting, a batch refused as a whole)
			// refers to itself.
			spec.Object = model.ObjectRef{Kind: model.KindEvent, Name: name}
		}
		raw, err := json.Marshal(spec)
		if err != nil {
			return nil, err
		}
		o := model.Object{APIVersion: model.APIVersion, Kind: model.KindEvent,
			Metadata: model.Metadata{Name: name, Generation: 1, CreationTimestamp: spec.Time}, Spec: raw}
		if err := c.rules.ValidateObject(&o); err != nil {
			return nil, fmt.Errorf("controller: event %s refused by the model: %w", name, err)
		}
		b, err := encode(o)
		if err != nil {
			return nil, err
		}
		ops = append(ops, store.PutOp(model.Key(model.KindEvent, name), b, store.MustNotExist))
	}
	prefix := model.KindPrefix(model.KindEvent)
	var old []string
	for k := range snap.objs {
		if strings.HasPrefix(k, prefix) {
			old = append(old, k)
		}
	}
	if extra := len(old) + len(specs) - c.eventLimit; extra > 0 {
		slices.Sort(old) // names sort by time
		// At most a few deletes per commit, so a lowered limit is
		// reached gradually without overflowing one Apply.
		for _, k := range old[:min(extra, len(old), 4)] {
			ops = append(ops, store.DeleteOp(k, snap.objs[k].mod))
		}
	}
	return ops, nil
}

// recordFailure writes a Warning event for a refused write. It is best
// effort: a failure to record is logged, not returned.
func (c *Controller) recordFailure(ctx context.Context, verb string, err error) {
	ev := model.EventSpec{Time: c.now().UTC(), Type: model.EventWarning, Source: c.source,
		Reason: "Failed", Message: truncate(verb+": "+err.Error(), model.MaxEventMessage)}
	var ae *api.Error
	if errors.As(err, &ae) {
		ev.Object = model.ObjectRef{Kind: ae.Kind, Name: ae.Name}
		if ae.Kind == "" && len(ae.Fields) > 0 {
			// A batch refused as a whole: the first resource at fault.
			if k, n, ok := strings.Cut(ae.Fields[0].Resource, "/"); ok {
				ev.Object = model.ObjectRef{Kind: model.Kind(k), Name: n}
			}
		}
		switch {
		case errors.Is(err, api.ErrInvalid):
			ev.Reason = "ValidationFailed"
		case errors.Is(err, api.ErrConflict):
			ev.Reason = "Conflict"
		case errors.Is(err, api.ErrNotFound):
			ev.Reason = "NotFound"
		}
	}
	c.log.Warn("write refused", "verb", verb, "reason", ev.Reason, "err", err)
	// The request may be gone; its refusal is still worth recording.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	c.Record(rctx, ev)
}

// Record writes an event (filling in its time and source when empty).
// It is best effort: a failure is logged.
func (c *Controller) Record(ctx context.Context, ev model.EventSpec) {
	if ev.Time.IsZero() {
		ev.Time = c.now().UTC()
	}
	if ev.Source == "" {
		ev.Source = c.source
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap, err := c.take(ctx)
	if err == nil {
		var ops []store.Op
		if ops, err = c.eventOps(snap, []model.EventSpec{ev}); err == nil {
			if _, err = c.st.Apply(ctx, ops); err == nil {
				c.countResources(ops)
			}
			c.countOp("apply", err)
		}
	}
	if err != nil {
		c.log.Error("cannot record event", "reason", ev.Reason, "err", err)
	}
}
