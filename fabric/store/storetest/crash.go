package storetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// CrashKeys is how many keys each batch of CrashWriter puts.
const CrashKeys = 16

const crashPrefix = "/v1/crash/"

// CrashWriter is the body of a child test process that RunAndKill kills:
// it applies batches of CrashKeys puts to s, every key of batch n holding
// n (continuing after the batch s already holds), and prints "committed
// n" on stdout after each. On an error it prints "error ..." and exits 2.
// It never returns.
func CrashWriter(s store.Store) {
	ctx := context.Background()
	kvs, _, _ := s.List(ctx, crashPrefix)
	n := 0
	if len(kvs) > 0 {
		n, _ = strconv.Atoi(string(kvs[0].Value))
	}
	for {
		n++
		ops := make([]store.Op, CrashKeys)
		for i := range ops {
			ops[i] = store.PutOp(fmt.Sprintf("%s%02d", crashPrefix, i), []byte(strconv.Itoa(n)), store.Any)
		}
		if _, err := s.Apply(ctx, ops); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("committed", n)
	}
}

// RunAndKill runs the test named writer (which calls CrashWriter) of this
// test binary as a child process with env added to its environment, waits
// for it to report commits commits, SIGKILLs it, and returns the last
// commit it reported.
func RunAndKill(t *testing.T, writer string, env string, commits int) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+writer+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	last, seen := 0, 0
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(15*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatalf("writer: %s", line)
		}
		if n, ok := strings.CutPrefix(line, "committed "); ok {
			last, _ = strconv.Atoi(n)
			if seen++; seen == commits {
				cmd.Process.Kill() // SIGKILL: no deferred code, no Close
				break
			}
		}
	}
	// Lines written before the kill may still be in the pipe.
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			last, _ = strconv.Atoi(n)
		}
	}
	cmd.Wait()
	if seen < commits {
		t.Fatalf("writer stopped after %d commits", seen)
	}
	return last
}

// CheckCrashBatch checks that s holds one whole batch of CrashWriter, not
// older than committed (the last commit reported) nor newer than the next,
// and returns its number.
func CheckCrashBatch(t *testing.T, s store.Store, committed int) int {
	t.Helper()
	kvs, _, err := s.List(context.Background(), crashPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(kvs) != CrashKeys {
		t.Fatalf("%d keys after the crash, want %d", len(kvs), CrashKeys)
	}
	batch := string(kvs[0].Value)
	for _, kv := range kvs {
		if string(kv.Value) != batch {
			t.Fatalf("partial batch: %s=%s but %s=%s", kvs[0].Key, batch, kv.Key, kv.Value)
		}
	}
	n, _ := strconv.Atoi(batch)
	if n < committed || n > committed+1 {
		t.Fatalf("store holds batch %d, last reported commit %d", n, committed)
	}
	return n
}
