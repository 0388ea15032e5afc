//go:build linux

package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// RunLoad loads a running lab built from t (BenchTopology; ours or the
// kernel's, namespace naming its machines' namespaces) from its client
// machine to its first VIP, and returns what it measured:
//
//   - iperf3 TCP throughput (1 and 8 streams by default), the client
//     sending (up) and, unless NoDownload, receiving (-R, down), with
//     iperf3 -s run in every web server's namespace;
//   - the CPU seconds the whole machine spent per gigabyte iperf3
//     received: user, nice, system, irq, softirq and steal time from
//     /proc/stat over the run, divided by the bytes;
//   - wrk's requests per second and latency p50 and p99 over keep-alive
//     connections to the VIP's port 80 (the web servers' small page),
//     and the machine's CPU microseconds per request.
//
// It needs iperf3 and wrk.
func RunLoad(ctx context.Context, namespace func(machine string) string, t *runtime.Topology, opts LoadOptions) ([]Metric, error) {
	for _, bin := range []string{"iperf3", "wrk"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%w: %s is not installed", ErrUnsupported, bin)
		}
	}
	dur := opts.Duration
	if dur == 0 {
		dur = 5 * time.Second
	}
	conns := opts.Connections
	if conns == 0 {
		conns = 16
	}
	streams := opts.Streams
	if len(streams) == 0 {
		streams = []int{1, 8}
	}
	var client string
	var servers []string
	for _, m := range t.Machines {
		switch {
		case m.Role == runtime.RoleClient && client == "":
			client = m.Name
		case m.Role == runtime.RoleWebServer && m.Host != "":
			servers = append(servers, m.Name)
		}
	}
	if client == "" || len(servers) == 0 || len(t.LoadBalancers) == 0 || len(t.LoadBalancers[0].FrontendIPConfigurations) == 0 {
		return nil, errors.New("lab: RunLoad needs a client, web servers on hosts and a VIP")
	}
	vip := t.LoadBalancers[0].FrontendIPConfigurations[0].VIP
	clientNS := namespace(client)

	for _, s := range servers {
		ns := namespace(s)
		cmd := exec.Command("ip", "netns", "exec", ns, "iperf3", "-s", "-4", "-p", strconv.Itoa(IperfPort))
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("iperf3 -s in %s: %w", ns, err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		if err := waitListening(ctx, ns, IperfPort); err != nil {
			return nil, err
		}
	}

	var out []Metric
	dirs := []string{"up", "down"}
	if opts.NoDownload {
		dirs = dirs[:1]
	}
	for _, dir := range dirs {
		for _, n := range streams {
			bytes, secs, cpu, err := iperf(ctx, clientNS, vip, dur, n, dir == "down")
			if err != nil {
				return nil, err
			}
			name := fmt.Sprintf("iperf3 %s, %d stream", dir, n)
			if n > 1 {
				name += "s"
			}
			out = append(out,
				Metric{Name: name, Unit: "Gbit/s", Value: float64(bytes) * 8 / secs / 1e9},
				Metric{Name: name + ", CPU", Unit: "CPU s/GB", Value: cpu / (float64(bytes) / 1e9), Lower: true})
		}
	}
	m, err := wrk(ctx, clientNS, vip, dur, conns)
	if err != nil {
		return nil, err
	}
	return append(out, m...), nil
}

// iperf runs the iperf3 client in ns to vip and returns the bytes received,
// the receiver's seconds and the machine's CPU seconds over the run.
func iperf(ctx context.Context, ns string, vip netip.Addr, dur time.Duration, streams int, reverse bool) (bytes int64, secs, cpu float64, err error) {
	args := []string{"netns", "exec", ns, "iperf3", "-c", vip.String(), "-p", strconv.Itoa(IperfPort),
		"-t", strconv.Itoa(int(dur.Seconds())), "-P", strconv.Itoa(streams), "-J"}
	if reverse {
		args = append(args, "-R")
	}
	before, err := cpuTime()
	if err != nil {
		return 0, 0, 0, err
	}
	raw, err := exec.CommandContext(ctx, "ip", args...).Output()
	// A server still closing the previous test refuses the next one as
	// busy: start again a moment later (the CPU time counts from then).
	for try := 1; err != nil && try < 4 && strings.Contains(string(raw), "server is busy"); try++ {
		select {
		case <-ctx.Done():
			return 0, 0, 0, ctx.Err()
		case <-time.After(time.Duration(try) * time.Second):
		}
		if before, err = cpuTime(); err != nil {
			return 0, 0, 0, err
		}
		raw, err = exec.CommandContext(ctx, "ip", args...).Output()
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("iperf3 %s: %w\n%s", strings.Join(args[3:], " "), err, raw)
	}
	after, err := cpuTime()
	if err != nil {
		return 0, 0, 0, err
	}
	var res struct {
		End struct {
			SumReceived struct {
				Bytes   int64   `json:"bytes"`
				Seconds float64 `json:"seconds"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return 0, 0, 0, fmt.Errorf("iperf3 -J: %w\n%s", err, raw)
	}
	if res.Error != "" || res.End.SumReceived.Bytes == 0 || res.End.SumReceived.Seconds == 0 {
		return 0, 0, 0, fmt.Errorf("iperf3 %s: nothing received: %s", strings.Join(args[3:], " "), res.Error)
	}
	return res.End.SumReceived.Bytes, res.End.SumReceived.Seconds, after - before, nil
}

// wrk runs wrk in ns against the VIP's port 80 and returns requests per
// second, latency p50 and p99, and CPU microseconds per request.
func wrk(ctx context.Context, ns string, vip netip.Addr, dur time.Duration, conns int) ([]Metric, error) {
	args := []string{"netns", "exec", ns, "wrk", "-t", "2", "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(dur.Seconds())), "--latency", fmt.Sprintf("http://%s/", vip)}
	before, err := cpuTime()
	if err != nil {
		return nil, err
	}
	raw, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk: %w\n%s", err, raw)
	}
	after, err := cpuTime()
	if err != nil {
		return nil, err
	}
	var rps, p50, p99, requests float64
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			rps, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "50%":
			p50, err = wrkDuration(f[1])
		case len(f) == 2 && f[0] == "99%":
			p99, err = wrkDuration(f[1])
		case len(f) >= 2 && f[1] == "requests":
			requests, _ = strconv.ParseFloat(f[0], 64)
		}
		if err != nil {
			return nil, fmt.Errorf("wrk: %w\n%s", err, raw)
		}
	}
	if rps == 0 || requests == 0 || p99 == 0 || bytes.Contains(raw, []byte("Socket errors")) || bytes.Contains(raw, []byte("Non-2xx")) {
		return nil, fmt.Errorf("wrk: no figures, or errors:\n%s", raw)
	}
	return []Metric{
		{Name: "http", Unit: "req/s", Value: rps},
		{Name: "http p50", Unit: "ms", Value: p50, Lower: true},
		{Name: "http p99", Unit: "ms", Value: p99, Lower: true},
		{Name: "http, CPU", Unit: "CPU µs/req", Value: (after - before) / requests * 1e6, Lower: true},
	}, nil
}

// wrkDuration parses wrk's latencies (635.00us, 2.39ms, 1.20s) into
// milliseconds.
func wrkDuration(s string) (float64, error) {
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 60e3}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("latency %q: %w", s, err)
			}
			return f * u.ms, nil
		}
	}
	return 0, fmt.Errorf("latency %q: unknown unit", s)
}

// cpuTime returns the CPU seconds the machine spent busy since boot (user,
// nice, system, irq, softirq, steal), from /proc/stat in USER_HZ (100).
func cpuTime() (float64, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, errors.New("lab: /proc/stat is empty")
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, fmt.Errorf("lab: /proc/stat: unexpected first line %q", sc.Text())
	}
	var busy float64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system [idle iowait] irq softirq steal
		v, err := strconv.ParseUint(fields[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("lab: /proc/stat field %d: %w", i, err)
		}
		busy += float64(v)
	}
	return busy / 100, nil
}

// waitListening waits until a TCP socket listens on port in namespace ns.
func waitListening(ctx context.Context, ns string, port uint16) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		if ok, err := listening(ns, port); err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nothing listens on port %d in %s: %w", port, ns, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
