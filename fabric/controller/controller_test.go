package controller_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
	"pgregory.net/rapid"
)

// uniqueRules stand in for the model: spec.unique must be unique across
// the state; specs are otherwise free.
func uniqueRules() controller.Rules {
	return controller.Rules{
		Allocate:       func([]model.Object, *model.Object) error { return nil },
		ValidateObject: func(*model.Object) error { return nil },
		ValidateState: func(objs []model.Object) error {
			seen := map[string]string{}
			var errs []error
			for _, o := range objs {
				var s struct{ Unique string }
				json.Unmarshal(o.Spec, &s)
				if s.Unique == "" {
					continue
				}
				if prev, dup := seen[s.Unique]; dup {
					errs = append(errs, fmt.Errorf("%s/%s: spec.unique %q is also %s's", o.Kind, o.Metadata.Name, s.Unique, prev))
				}
				seen[s.Unique] = o.Metadata.Name
			}
			return errors.Join(errs...)
		},
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func host(name, unique string) model.Object {
	return model.Object{APIVersion: model.APIVersion, Kind: model.KindHost, Metadata: model.Metadata{Name: name},
		Spec: json.RawMessage(fmt.Sprintf(`{"unique":%q}`, unique))}
}

// TestFenceAcrossControllers runs two controllers on one store, as two
// processes on one etcd would: writes that are valid alone but not
// together race, and the store never holds both.
func TestFenceAcrossControllers(t *testing.T) {
	st := memstore.New(memstore.Options{})
	defer st.Close()
	var ctrls []*controller.Controller
	for i := range 2 {
		c, err := controller.New(controller.Config{Store: st, Rules: uniqueRules(), Logger: quiet, Source: fmt.Sprint("c", i)})
		if err != nil {
			t.Fatal(err)
		}
		ctrls = append(ctrls, c)
	}
	ctx := t.Context()
	for round := range 20 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, c := range ctrls {
			wg.Go(func() {
				_, errs[i] = c.Create(ctx, host(fmt.Sprintf("r%d-c%d", round, i), fmt.Sprint("u", round)))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, api.ErrInvalid):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d creates succeeded, want exactly 1 (errors %v)", round, ok, errs)
		}
	}
	hosts, _, err := ctrls[0].List(ctx, model.KindHost)
	if err != nil || len(hosts) != 20 {
		t.Errorf("%d hosts (%v), want 20", len(hosts), err)
	}
}

func TestStatusValidated(t *testing.T) {
	st := memstore.New(memstore.Options{})
	defer st.Close()
	rules := uniqueRules()
	rules.ValidateObject = func(o *model.Object) error {
		if string(o.Status) == `{"bad":true}` {
			return fmt.Errorf("%s/%s status.bad: not a field of its status", o.Kind, o.Metadata.Name)
		}
		return nil
	}
	c, err := controller.New(controller.Config{Store: st, Rules: rules, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	h, err := c.Create(ctx, host("a", "x"))
	if err != nil {
		t.Fatal(err)
	}
	h.Status = json.RawMessage(`{"bad":true}`)
	if _, err := c.UpdateStatus(ctx, h, 0); !errors.Is(err, api.ErrInvalid) {
		t.Errorf("invalid status: %v", err)
	}
	h.Status = json.RawMessage(`{"ready":true}`)
	got, err := c.UpdateStatus(ctx, h, 0)
	if err != nil || string(got.Status) != `{"ready":true}` {
		t.Fatalf("status: %v %s", err, got.Status)
	}
	// The same status again writes nothing.
	again, err := c.UpdateStatus(ctx, h, 0)
	if err != nil || again.Metadata.ResourceVersion != got.Metadata.ResourceVersion {
		t.Errorf("identical status: %v, version %s then %s", err, got.Metadata.ResourceVersion, again.Metadata.ResourceVersion)
	}
}

func TestEventLog(t *testing.T) {
	st := memstore.New(memstore.Options{})
	defer st.Close()
	c, err := controller.New(controller.Config{Store: st, Rules: uniqueRules(), Logger: quiet, EventLimit: 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := c.Create(ctx, host("a", "x")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, host("b", "x")); !errors.Is(err, api.ErrInvalid) {
		t.Fatalf("duplicate: %v", err)
	}
	evs, _, err := c.List(ctx, model.KindEvent)
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d events (%v), want 2", len(evs), err)
	}
	var specs []model.EventSpec
	for _, e := range evs {
		var s model.EventSpec
		if err := json.Unmarshal(e.Spec, &s); err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	if s := specs[0]; s.Type != model.EventNormal || s.Reason != "Created" || s.Object != (model.ObjectRef{Kind: model.KindHost, Name: "a"}) {
		t.Errorf("first event %+v", s)
	}
	if s := specs[1]; s.Type != model.EventWarning || s.Reason != "ValidationFailed" || s.Object.Name != "b" {
		t.Errorf("second event %+v", s)
	}
	// The log keeps at most EventLimit events, dropping the oldest.
	for i := range 10 {
		if _, err := c.Create(ctx, host(fmt.Sprint("h", i), "")); err != nil {
			t.Fatal(err)
		}
	}
	evs, _, _ = c.List(ctx, model.KindEvent)
	if len(evs) != 5 {
		t.Fatalf("%d events, want the limit 5", len(evs))
	}
	var last model.EventSpec
	json.Unmarshal(evs[4].Spec, &last)
	if last.Object.Name != "h9" {
		t.Errorf("newest event is about %s, want h9", last.Object.Name)
	}
}

// TestNeverInvalid applies random sequences of valid and invalid writes
// (creates, updates, deletes and batches over a few names and unique
// values) and checks after each that the store's state is valid.
func TestNeverInvalid(t *testing.T) {
	rules := uniqueRules()
	rapid.Check(t, func(rt *rapid.T) {
		st := memstore.New(memstore.Options{})
		defer st.Close()
		c, err := controller.New(controller.Config{Store: st, Rules: rules, Logger: quiet, EventLimit: 20})
		if err != nil {
			rt.Fatal(err)
		}
		ctx := context.Background()
		name := rapid.SampledFrom([]string{"h0", "h1", "h2", "h3"})
		uniq := rapid.SampledFrom([]string{"", "u0", "u1", "u2"})
		for range rapid.IntRange(1, 30).Draw(rt, "writes") {
			switch rapid.IntRange(0, 3).Draw(rt, "op") {
			case 0:
				c.Create(ctx, host(name.Draw(rt, "name"), uniq.Draw(rt, "unique")))
			case 1:
				c.Update(ctx, host(name.Draw(rt, "name"), uniq.Draw(rt, "unique")), 0)
			case 2:
				c.Delete(ctx, model.KindHost, name.Draw(rt, "name"), 0)
			case 3:
				a, b := name.Draw(rt, "name"), name.Draw(rt, "name2")
				c.Apply(ctx, []model.Object{host(a, uniq.Draw(rt, "unique")), host(b, uniq.Draw(rt, "unique2"))})
			}
			if err := rules.ValidateState(state(rt, st)); err != nil {
				rt.Fatalf("the store holds an invalid state: %v", err)
			}
		}
	})
}

func state(t interface{ Fatal(...any) }, st store.Store) []model.Object {
	kvs, _, err := st.List(context.Background(), model.KeyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []model.Object
	for _, kv := range kvs {
		var o model.Object
		if err := json.Unmarshal(kv.Value, &o); err != nil {
			t.Fatal(err)
		}
		if o.Kind != model.KindEvent {
			out = append(out, o)
		}
	}
	return out
}
