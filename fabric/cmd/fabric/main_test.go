package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func TestRunDefault(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"run"}, &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"HTTP/1.1 200 OK", "Established", "Direct Server Return"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("run output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunUnknownCommand: the error names every command, and the package
// documentation shows each.
func TestRunUnknownCommand(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"bogus"}, &out)
	if err == nil {
		t.Fatal("want an error for an unknown command")
	}
	doc, rerr := os.ReadFile("main.go")
	if rerr != nil {
		t.Fatal(rerr)
	}
	for cmd := range commands {
		if !strings.Contains(err.Error(), " "+cmd) {
			t.Errorf("the error %q does not name %s", err, cmd)
		}
		if !strings.Contains(string(doc), "//\tfabric "+cmd+" ") {
			t.Errorf("main.go's documentation does not show fabric %s", cmd)
		}
	}
}
