package main

import (
	"bytes"
	"context"
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

func TestRunUnknownCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"bogus"}, &out); err == nil {
		t.Fatal("want an error for an unknown command")
	}
}
