package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSimulate(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "out.svg")
	var out, errb bytes.Buffer
	if err := run([]string{"simulate", "-n", "200", "-c", "10", "-latency", "100ms", "-svg", svg}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	if !strings.Contains(out.String(), "admission: semaphore") {
		t.Fatal(out.String())
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.HasPrefix(b, []byte("<svg")) {
		t.Fatal(err)
	}
	if err := run(nil, &out, &errb); err == nil {
		t.Fatal("no subcommand accepted")
	}
}

// The README's table is this command's output: keep them in step.
func TestREADMETableIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("README.md not found next to the module")
	}
	var out, errb bytes.Buffer
	if err := run([]string{"simulate"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !bytes.Contains(readme, []byte(line)) {
			t.Errorf("README.md lacks the current simulator line:\n%s", line)
		}
	}
}
