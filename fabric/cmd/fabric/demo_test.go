package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDemoSeedFile(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo", "-f", "../../examples/seed.yaml"}, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	checkDemo(t, out.String())
}

func TestDemoBuiltIn(t *testing.T) {
	var out bytes.Buffer
	// From this directory the default file is not found: the built-in seed.
	if err := run(context.Background(), []string{"run"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "built-in seed topology") {
		t.Errorf("output does not say it ran the built-in topology:\n%s", out.String())
	}
	checkDemo(t, out.String())
}

func checkDemo(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{
		"session with", "Established", "installed: ECMP over", "healthy",
		"HTTP/1.1 200 OK", "Hello from ",
		"mux     encap", "+(VXLAN vni", "vnet    decap", "slb     nat", "acl     allow",
		"slb     dsr", "Direct Server Return",
		"BGP sessions:", "VIP routes:", "Backend health",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func TestDemoMissingFile(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo", "-f", "does-not-exist.yaml"}, &out); err == nil {
		t.Fatal("want an error for a missing topology file")
	}
}

func TestDemoKeepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"demo", "-keep"}, &out) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("demo -keep: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo -keep did not stop with its context")
	}
}
