package etcdstore_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/etcdstore"
	"github.com/sdnfabric/sdnfabric/fabric/store/storetest"
)

// server is the etcd every test of this package shares, started by
// TestMain on loopback; nil when the etcd binary is missing.
var (
	client   *clientv3.Client
	endpoint string
	noEtcd   string
	counter  atomic.Int64
)

func TestMain(m *testing.M) {
	// etcd serves a watch that starts in the past from its 100 ms resync
	// loop, and the model test starts such watches in every check: run 20
	// checks rather than rapid's 100 unless -rapid.checks says otherwise.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		flag.Set("rapid.checks", "20")
	}
	var stop func()
	var err error
	if ep := os.Getenv(crashEnv); ep != "" {
		// The crash writer child uses its parent's etcd.
		endpoint, _, _ = strings.Cut(ep, " ")
		client, err = clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second})
	} else {
		stop, err = startEtcd()
	}
	if err != nil {
		noEtcd = err.Error()
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// startEtcd runs an etcd server on random free loopback ports with a
// temporary data directory, retrying on bind failures.
func startEtcd() (stop func(), err error) {
	bin, err := exec.LookPath("etcd")
	if err != nil {
		return nil, fmt.Errorf("needs the etcd binary (Debian package etcd-server): %v", err)
	}
	for range 5 {
		if stop, err = tryEtcd(bin); err == nil {
			return stop, nil
		}
	}
	return nil, fmt.Errorf("could not start etcd: %v", err)
}

func tryEtcd(bin string) (func(), error) {
	// On tmpfs, if there is one, etcd's fsyncs cost nothing.
	base := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "etcdstore-test-")
	if err != nil {
		return nil, err
	}
	port := 20000 + rand.IntN(30000)
	cu := fmt.Sprintf("http://127.0.0.1:%d", port)
	pu := fmt.Sprintf("http://127.0.0.1:%d", port+1)
	cmd := exec.Command(bin, "--name", "t1", "--data-dir", dir+"/data",
		"--listen-client-urls", cu, "--advertise-client-urls", cu,
		"--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu,
		"--initial-cluster", "t1="+pu, "--initial-cluster-state", "new",
		"--logger", "zap", "--log-outputs", "stderr", "--log-level", "error")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	exited := make(chan string, 1)
	go func() {
		var last []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			last = append(last, sc.Text())
			if len(last) > 5 {
				last = last[1:]
			}
		}
		cmd.Wait()
		exited <- strings.Join(last, "\n")
	}()
	stop := func() {
		cmd.Process.Kill()
		<-exited
		os.RemoveAll(dir)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{cu}, DialTimeout: 5 * time.Second})
	if err != nil {
		stop()
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := cli.Get(ctx, "/health")
		cancel()
		if err == nil {
			break
		}
		select {
		case out := <-exited:
			exited <- out
			cli.Close()
			stop()
			return nil, fmt.Errorf("etcd exited: %s", out)
		default:
		}
		if time.Now().After(deadline) {
			cli.Close()
			stop()
			return nil, fmt.Errorf("etcd not healthy: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	client, endpoint = cli, cu
	return func() { cli.Close(); stop() }, nil
}

// newStore returns a store in a namespace of its own on the shared etcd.
func newStore(t testing.TB) *etcdstore.Store {
	t.Helper()
	if client == nil {
		t.Skip(noEtcd)
	}
	s, err := etcdstore.New(client, etcdstore.Options{
		Namespace:   fmt.Sprintf("/test-%d-%d", os.Getpid(), counter.Add(1)),
		WatchBuffer: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var harness = storetest.Harness{
	New:         func(t testing.TB) store.Store { return newStore(t) },
	WatchBuffer: 16,
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

func TestModel(t *testing.T) { storetest.RunModel(t, harness) }

// TestNamespace shows two stores on one cluster do not see each other.
func TestNamespace(t *testing.T) {
	a, b := newStore(t), newStore(t)
	ctx := context.Background()
	if _, err := a.Put(ctx, "/v1/x", []byte("a"), store.MustNotExist); err != nil {
		t.Fatal(err)
	}
	if kvs, _, err := b.List(ctx, ""); err != nil || len(kvs) != 0 {
		t.Fatalf("other namespace lists %v, %v", kvs, err)
	}
	if _, err := etcdstore.New(client, etcdstore.Options{Namespace: "/bad/"}); err == nil {
		t.Fatal("namespace ending in '/' accepted")
	}
}

func BenchmarkStore(b *testing.B) { storetest.Bench(b, harness) }

const crashEnv = "ETCDSTORE_CRASH_WRITER" // "<endpoint> <namespace>"

// TestCrashWriter is the child of TestCrashMidBatch (storetest.CrashWriter).
func TestCrashWriter(t *testing.T) {
	env := os.Getenv(crashEnv)
	if env == "" {
		t.Skip("runs only as the child process of TestCrashMidBatch")
	}
	_, ns, _ := strings.Cut(env, " ")
	s, err := etcdstore.New(client, etcdstore.Options{Namespace: ns})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	storetest.CrashWriter(s)
}

// TestCrashMidBatch kills -9 a writer process (the controller) in the
// middle of its stream of batches to etcd and checks the store holds one
// whole batch, not older than the last one reported committed.
func TestCrashMidBatch(t *testing.T) {
	if client == nil {
		t.Skip(noEtcd)
	}
	ns := fmt.Sprintf("/crash-%d", os.Getpid())
	last := storetest.RunAndKill(t, "TestCrashWriter", crashEnv+"="+endpoint+" "+ns, 20)
	s, err := etcdstore.New(client, etcdstore.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	storetest.CheckCrashBatch(t, s, last)
}
