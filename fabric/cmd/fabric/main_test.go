package main

import (
	"bytes"
	"context"
	"testing"
)

func TestRunDefault(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"run"}, &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	if out.Len() == 0 {
		t.Fatal("run printed nothing")
	}
}

func TestRunUnknownCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"bogus"}, &out); err == nil {
		t.Fatal("want an error for an unknown command")
	}
}
