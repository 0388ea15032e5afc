package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// startController runs an in-process controller with the model's rules
// on a bolt file in a fresh data directory, over TLS, and returns the
// directory (where the CLI finds its URL, token and certificate).
func startController(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- controller.Run(ctx, controller.Options{
			DataDir: dir, Listen: "127.0.0.1:0", TLS: true,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Ready:  func(url string) { ready <- url },
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("controller: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the controller did not start")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
	})
	return dir
}

// cli runs one fabric command against the data directory.
func cli(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), append(args, "--data-dir", dir), &out)
	return out.String(), err
}

func mustCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := cli(t, dir, args...)
	if err != nil {
		t.Fatalf("fabric %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

const seed = "../../examples/seed.yaml"

func TestCLISeed(t *testing.T) {
	dir := startController(t)
	for _, f := range []string{api.TokenFile, api.KeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, err, fi)
		}
	}

	out := mustCLI(t, dir, "apply", "-f", seed)
	if n := strings.Count(out, " created\n"); n != 16 {
		t.Errorf("apply created %d resources, want the seed's 16:\n%s", n, out)
	}
	out = mustCLI(t, dir, "apply", "-f", seed)
	if n := strings.Count(out, " unchanged\n"); n != 16 {
		t.Errorf("re-apply: %d unchanged, want 16:\n%s", n, out)
	}

	out = mustCLI(t, dir, "get", "hosts")
	for _, want := range []string{"NAME", "PROVIDER-ADDRESS", "host1", "192.168.100.21", "host2"} {
		if !strings.Contains(out, want) {
			t.Errorf("get hosts lacks %q:\n%s", want, out)
		}
	}
	// The controller allocated what the seed left open: every NIC has a MAC.
	out = mustCLI(t, dir, "get", "nics", "-o", "yaml")
	nics, err := model.Decode([]byte(out))
	if err != nil || len(nics) != 4 {
		t.Fatalf("get -o yaml: %d objects, %v", len(nics), err)
	}
	for _, n := range nics {
		spec, err := n.DecodeSpec()
		if err != nil {
			t.Fatal(err)
		}
		if spec.(*model.NetworkInterfaceSpec).MAC.IsZero() {
			t.Errorf("NIC %s has no MAC after apply", n.Metadata.Name)
		}
	}
	out = mustCLI(t, dir, "get", "loadbalancers", "portal", "-o", "json")
	if !strings.Contains(out, `"snatAllocations"`) && !strings.Contains(out, `"vip": "192.168.102.10"`) {
		t.Errorf("get -o json:\n%s", out)
	}

	out = mustCLI(t, dir, "describe", "host", "host1")
	for _, want := range []string{"Name:        host1", "Spec:", "providerAddress: 192.168.100.21", "Status:", "Events:", "Created"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}

	// A file whose state is invalid is refused whole, naming the field.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte(`apiVersion: sdnfabric.io/v1
kind: Host
metadata: {name: host3}
spec: {logicalNetwork: provider, subnet: pa, providerAddress: 192.168.100.31}
---
apiVersion: sdnfabric.io/v1
kind: Host
metadata: {name: host4}
spec: {logicalNetwork: nowhere, subnet: pa, providerAddress: 192.168.100.32}
`), 0o644)
	out, err = cli(t, dir, "apply", "-f", bad)
	if !errors.Is(err, api.ErrInvalid) || !strings.Contains(err.Error(), "Host/host4") || !strings.Contains(err.Error(), "spec.logicalNetwork") {
		t.Errorf("bad apply: %v\n%s", err, out)
	}
	if _, err := cli(t, dir, "get", "host", "host3"); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("a refused batch created host3: %v", err)
	}

	// Deleting what others refer to is refused; a leaf goes.
	if _, err := cli(t, dir, "delete", "logicalnetwork", "provider"); !errors.Is(err, api.ErrInvalid) {
		t.Errorf("delete of a referenced network: %v", err)
	}
	if out := mustCLI(t, dir, "delete", "catalog", "portal"); out != "catalog/portal deleted\n" {
		t.Errorf("delete: %q", out)
	}

	out = mustCLI(t, dir, "status")
	for _, want := range []string{"hosts", "Latest warnings", "ValidationFailed"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	out = mustCLI(t, dir, "get", "events")
	if !strings.Contains(out, "Started") || !strings.Contains(out, "Applied") {
		t.Errorf("get events:\n%s", out)
	}

	// Backup online; restore offline into a new store, which must be empty.
	file := filepath.Join(t.TempDir(), "fabric.backup")
	mustCLI(t, dir, "backup", "-f", file)
	restored := filepath.Join(t.TempDir(), "restored.db")
	if out := mustCLI(t, dir, "restore", "-f", file, "--store", restored); !strings.Contains(out, "restored") {
		t.Errorf("restore: %q", out)
	}
	if _, err := cli(t, dir, "restore", "-f", file, "--store", restored); err == nil {
		t.Error("restore into a non-empty store succeeded")
	}
}

func TestCLIErrors(t *testing.T) {
	dir := startController(t)
	for _, args := range [][]string{
		{"get"}, {"get", "widgets"}, {"get", "hosts", "-o", "xml"}, {"get", "host", "none"},
		{"describe", "host"}, {"apply"}, {"apply", "-f", "/nonexistent"}, {"delete", "host"},
		{"delete", "events", "x"}, {"backup"}, {"restore"},
	} {
		if _, err := cli(t, dir, args...); err == nil {
			t.Errorf("fabric %s: no error", strings.Join(args, " "))
		}
	}
	// A wrong token is refused.
	var out bytes.Buffer
	err := run(t.Context(), []string{"apply", "-f", seed, "--data-dir", dir, "--token", "not-the-token-0123456789"}, &out)
	if !errors.Is(err, api.ErrUnauthorized) {
		t.Errorf("apply with a wrong token: %v", err)
	}
}

// TestReadObjectsBounded: a file or stdin larger than model.MaxFileBytes
// is refused with model.ErrTooLarge, naming it, without reading it all.
func TestReadObjectsBounded(t *testing.T) {
	big := strings.Repeat("#", model.MaxFileBytes+1)
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		stdin      io.Reader
	}{
		{"file", path, nil},
		{"stdin", "-", io.MultiReader(strings.NewReader(big), strings.NewReader(big))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readObjects([]string{tc.file}, tc.stdin)
			if !errors.Is(err, model.ErrTooLarge) || !strings.HasPrefix(err.Error(), tc.file+": ") {
				t.Fatalf("readObjects: %v; want %s: ... ErrTooLarge", err, tc.file)
			}
		})
	}
	if _, err := readObjects([]string{filepath.Join(t.TempDir(), "missing.yaml")}, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v; want os.ErrNotExist", err)
	}
}
