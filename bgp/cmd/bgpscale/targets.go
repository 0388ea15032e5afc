//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// A target is a BGP implementation under test, run as its own process in
// the benchmark's namespace, listening passively for the feeders.
type target interface {
	name() string
	// start launches the process; it must accept sessions from peers.
	start(ctx context.Context, b *bench) (*exec.Cmd, error)
	// paths returns how many paths the target holds now.
	paths(ctx context.Context, b *bench) (int, error)
}

func netnsCmd(ctx context.Context, b *bench, logName string, args ...string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", b.ns}, args...)...)
	out, err := os.Create(filepath.Join(b.dir, logName))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, cmd.Start()
}

// bird is BIRD 2 with one BGP protocol per feeder, importing everything.
type bird struct{}

func (bird) name() string { return "BIRD " + version("bird", "--version") }

func (bird) start(ctx context.Context, b *bench) (*exec.Cmd, error) {
	var conf strings.Builder
	fmt.Fprintf(&conf, `router id %s;
protocol device { scan time 60; }
template bgp feed {
  local %s as %d;
  passive;
  hold time %d;
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`, b.target.Addr(), b.target.Addr(), targetASN, feederHoldTime)
	for i, f := range b.feeders {
		fmt.Fprintf(&conf, "protocol bgp feed%d from feed { neighbor %s as %d; }\n", i, f.addr, f.asn)
	}
	path := filepath.Join(b.dir, "bird.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
		return nil, err
	}
	return netnsCmd(ctx, b, "bird.log", "bird", "-f", "-c", path, "-s", filepath.Join(b.dir, "bird.ctl"), "-P", filepath.Join(b.dir, "bird.pid"))
}

var birdCount = regexp.MustCompile(`(\d+) of \d+ routes`)

func (bird) paths(ctx context.Context, b *bench) (int, error) {
	out, err := exec.CommandContext(ctx, "birdc", "-s", filepath.Join(b.dir, "bird.ctl"), "show", "route", "count").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("birdc: %v: %s", err, out)
	}
	n := 0
	for _, m := range birdCount.FindAllStringSubmatch(string(out), -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n, nil
}

// gobgp is GoBGP's gobgpd with one passive neighbor per feeder.
type gobgp struct{}

func (gobgp) name() string { return "GoBGP " + version("gobgpd", "--version") }

func (gobgp) start(ctx context.Context, b *bench) (*exec.Cmd, error) {
	var conf strings.Builder
	fmt.Fprintf(&conf, "[global.config]\n  as = %d\n  router-id = %q\n  port = %d\n  local-address-list = [%q]\n",
		targetASN, b.target.Addr(), b.target.Port(), b.target.Addr())
	for _, f := range b.feeders {
		fmt.Fprintf(&conf, `[[neighbors]]
  [neighbors.config]
    neighbor-address = %q
    peer-as = %d
  [neighbors.timers.config]
    hold-time = %d
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`, f.addr, f.asn, feederHoldTime)
	}
	path := filepath.Join(b.dir, "gobgp.toml")
	if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
		return nil, err
	}
	return netnsCmd(ctx, b, "gobgpd.log", "gobgpd", "-f", path, "--api-hosts", "unix://"+filepath.Join(b.dir, "gobgp.sock"), "--pprof-disable", "-p")
}

var gobgpPaths = regexp.MustCompile(`Path: (\d+)`)

func (gobgp) paths(ctx context.Context, b *bench) (int, error) {
	n := 0
	for _, fam := range []string{"ipv4", "ipv6"} {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		out, err := exec.CommandContext(ctx, "gobgp", "--target", "unix://"+filepath.Join(b.dir, "gobgp.sock"),
			"global", "rib", "summary", "-a", fam).CombinedOutput()
		cancel()
		if err != nil {
			return 0, fmt.Errorf("gobgp: %v: %s", err, out)
		}
		m := gobgpPaths.FindStringSubmatch(string(out))
		if m == nil {
			return 0, fmt.Errorf("gobgp: no path count in %q", out)
		}
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n, nil
}

// ours is this module's speaker with its RIB, run by this same binary's
// serve command, which prints its path count whenever it changes.
type ours struct{ count atomic.Int64 }

func (*ours) name() string { return "sdnfabric bgp" }

func (o *ours) start(ctx context.Context, b *bench) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"netns", "exec", b.ns, self, "serve", "-listen", b.target.String(), "-asn", strconv.Itoa(targetASN)}
	if b.profile {
		args = append(args, "-cpuprofile", filepath.Join(b.dir, "ours.pprof"))
	}
	for _, f := range b.feeders {
		args = append(args, "-peer", fmt.Sprintf("%s,%d", f.addr, f.asn))
	}
	cmd := exec.CommandContext(ctx, "ip", args...)
	log, err := os.Create(filepath.Join(b.dir, "ours.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if v, err := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "paths "), 10, 64); err == nil {
				o.count.Store(v)
			}
		}
	}()
	return cmd, nil
}

func (o *ours) paths(context.Context, *bench) (int, error) { return int(o.count.Load()), nil }

func version(bin, flag string) string {
	out, _ := exec.Command(bin, flag).CombinedOutput()
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return "(unknown version)"
	}
	return f[len(f)-1]
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}
