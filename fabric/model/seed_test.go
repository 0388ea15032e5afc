package model

import (
	"os"
	"testing"
)

func readSeed(t testing.TB) []Object {
	t.Helper()
	data, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestSeedDecodes(t *testing.T) {
	objs := readSeed(t)
	if len(objs) != 16 {
		t.Errorf("seed has %d resources", len(objs))
	}
}

func TestSeedValidates(t *testing.T) {
	objs := readSeed(t)
	s, err := NewState(objs)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateState(s.Objects()); err != nil {
		t.Fatal(err)
	}
	for _, o := range s.Objects() {
		t.Logf("%s/%s %s", o.Kind, o.Metadata.Name, o.Spec)
	}
	lb, _ := s.LoadBalancerConfig("portal")
	t.Logf("%+v", lb)
}
