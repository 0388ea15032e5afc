package slb

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/slb/flowhash"
)

var addrComparer = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// webFarm is a valid configuration that the table tests break one field
// at a time: a dual-stack web farm with the seed's input endpoint (public
// 8080 to one instance's private 80) and SNAT.
func webFarm() *LoadBalancer {
	a := netip.MustParseAddr
	return &LoadBalancer{
		Name: "portal",
		FrontendIPConfigurations: []Frontend{
			{Name: "fe-v4", VIP: a("203.0.113.10")},
			{Name: "fe-v6", VIP: a("2001:db8:ffff::10")},
		},
		BackendAddressPools: []BackendPool{
			{Name: "web", VNI: 5001, Backends: []Backend{
				{DIP: a("10.1.0.5"), HostPA: a("192.0.2.11")},
				{DIP: a("10.1.0.6"), HostPA: a("192.0.2.12"), Weight: 2},
				{DIP: a("10.1.0.7"), HostPA: a("192.0.2.13")},
			}},
			{Name: "web6", VNI: 5001, Backends: []Backend{
				{Name: "web6-a", DIP: a("fd00:1::5"), HostPA: a("192.0.2.11")},
			}},
		},
		LoadBalancingRules: []LoadBalancingRule{
			{Name: "http", Frontend: "fe-v4", BackendPool: "web", Probe: "http", Protocol: ProtocolTCP, FrontendPort: 80, BackendPort: 80},
			{Name: "https", Frontend: "fe-v4", BackendPool: "web", Probe: "tcp", Protocol: ProtocolTCP, FrontendPort: 443, BackendPort: 443,
				IdleTimeoutInMinutes: 30, LoadDistribution: DistributionSourceIP, EnableTCPReset: true},
			{Name: "dns", Frontend: "fe-v4", BackendPool: "web", Probe: "tcp", Protocol: ProtocolUDP, FrontendPort: 53, BackendPort: 53, EnableFloatingIP: true},
			{Name: "http6", Frontend: "fe-v6", BackendPool: "web6", Probe: "http", Protocol: ProtocolTCP, FrontendPort: 80, BackendPort: 80},
		},
		InboundNatRules: []InboundNatRule{
			{Name: "portal-admin", Frontend: "fe-v4", BackendPool: "web", Protocol: ProtocolTCP, FrontendPort: 8080, DIP: a("10.1.0.5"), BackendPort: 8080},
			{Name: "rdp", Frontend: "fe-v4", BackendPool: "web", Protocol: ProtocolTCP, FrontendPortRangeStart: 50000, FrontendPortRangeEnd: 50009, BackendPort: 3389},
		},
		OutboundRules: []OutboundRule{
			{Name: "snat", Frontends: []string{"fe-v4"}, BackendPool: "web", Protocol: ProtocolAll, AllocatedOutboundPorts: 1024, IdleTimeoutInMinutes: 120},
		},
		Probes: []Probe{
			{Name: "http", Protocol: ProbeHTTP, Port: 80, RequestPath: "/healthz", IntervalInSeconds: 5, ProbeThreshold: 2},
			{Name: "tcp", Protocol: ProbeTCP, Port: 443},
		},
	}
}

func TestValidateWebFarm(t *testing.T) {
	if err := webFarm().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (&LoadBalancer{}).Validate(); err != nil {
		t.Errorf("empty configuration: %v", err)
	}
}

func TestValidateErrors(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		name   string
		break_ func(lb *LoadBalancer)
		want   error
		text   string // the whole Error() of the first FieldError
	}{
		{"lb rule on a NAT port", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[2].Protocol = ProtocolTCP
			lb.LoadBalancingRules[2].FrontendPort = 8080
		}, ErrConflict, "slb: loadBalancingRules[2].frontendPort: conflicts with inboundNatRules[0] (TCP 8080 on 203.0.113.10)"},
		{"two lb rules on one port", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[1].FrontendPort = 80
		}, ErrConflict, "slb: loadBalancingRules[1].frontendPort: conflicts with loadBalancingRules[0] (TCP 80 on 203.0.113.10)"},
		{"All overlaps Udp", func(lb *LoadBalancer) {
			lb.LoadBalancingRules = append(lb.LoadBalancingRules, LoadBalancingRule{Name: "ha", Frontend: "fe-v4", BackendPool: "web", Probe: "tcp", Protocol: ProtocolAll, EnableFloatingIP: true})
		}, ErrConflict, "slb: loadBalancingRules[4].frontendPort: conflicts with inboundNatRules[0] (TCP 8080 on 203.0.113.10)"},
		{"NAT range overlaps NAT port", func(lb *LoadBalancer) {
			lb.InboundNatRules[1].FrontendPortRangeStart = 8000
		}, ErrConflict, "slb: inboundNatRules[1].frontendPortRangeStart: conflicts with inboundNatRules[0] (TCP 8080 on 203.0.113.10)"},
		{"NAT DIP outside pool", func(lb *LoadBalancer) {
			lb.InboundNatRules[0].DIP = a("10.1.0.9")
		}, ErrNotFound, `slb: inboundNatRules[0].dip: 10.1.0.9 is not a DIP of backendAddressPools[0] ("web")`},
		{"NAT range too small", func(lb *LoadBalancer) {
			lb.InboundNatRules[1].FrontendPortRangeEnd = 50001
		}, ErrRange, `slb: inboundNatRules[1].frontendPortRangeEnd: range 50000-50001 has 2 ports for the 3 DIPs of pool "web"`},
		{"NAT both forms", func(lb *LoadBalancer) {
			lb.InboundNatRules[1].FrontendPort = 9000
		}, ErrInvalid, "slb: inboundNatRules[1].frontendPort: set either frontendPort and dip, or frontendPortRangeStart and frontendPortRangeEnd"},
		{"NAT no port", func(lb *LoadBalancer) {
			lb.InboundNatRules[0].FrontendPort = 0
			lb.InboundNatRules[0].DIP = netip.Addr{}
		}, ErrRequired, "slb: inboundNatRules[0].frontendPort: is 0 and no frontendPortRangeStart is set"},
		{"missing probe", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[0].Probe = "nope"
		}, ErrNotFound, `slb: loadBalancingRules[0].probe: no probes entry is named "nope"`},
		{"no probe", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[3].Probe = ""
		}, ErrRequired, "slb: loadBalancingRules[3].probe: is empty"},
		{"unknown pool", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[0].BackendPool = "db"
		}, ErrNotFound, `slb: loadBalancingRules[0].backendPool: no backendAddressPools entry is named "db"`},
		{"bad frontend port", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[0].FrontendPort = 70000
		}, ErrRange, "slb: loadBalancingRules[0].frontendPort: 70000 is not a port from 1 to 65535"},
		{"zero backend port", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[0].BackendPort = 0
		}, ErrRange, "slb: loadBalancingRules[0].backendPort: 0 is not a port from 1 to 65535"},
		{"idle timeout too long", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[1].IdleTimeoutInMinutes = 101
		}, ErrRange, "slb: loadBalancingRules[1].idleTimeoutInMinutes: 101 minutes is outside 4-100"},
		{"idle timeout too short", func(lb *LoadBalancer) {
			lb.InboundNatRules[0].IdleTimeoutInMinutes = 3
		}, ErrRange, "slb: inboundNatRules[0].idleTimeoutInMinutes: 3 minutes is outside 4-100"},
		{"outbound idle timeout", func(lb *LoadBalancer) {
			lb.OutboundRules[0].IdleTimeoutInMinutes = 121
		}, ErrRange, "slb: outboundRules[0].idleTimeoutInMinutes: 121 minutes is outside 4-120"},
		{"distribution", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[0].LoadDistribution = "Sticky"
		}, ErrInvalid, `slb: loadBalancingRules[0].loadDistribution: "Sticky" is not Default, SourceIPProtocol or SourceIP`},
		{"protocol", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[0].Protocol = "tcp"
		}, ErrInvalid, `slb: loadBalancingRules[0].protocol: "tcp" is not Tcp, Udp or All`},
		{"backend port reuse", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[1].BackendPort = 80
		}, ErrConflict, "slb: loadBalancingRules[1].backendPort: port 80 of DIP 10.1.0.5 is also used by loadBalancingRules[0]; rules may share a backend port only with floating IP"},
		{"family mismatch", func(lb *LoadBalancer) {
			lb.LoadBalancingRules[3].BackendPool = "web"
		}, ErrInvalid, `slb: loadBalancingRules[3].backendPool: pool "web" has DIP 10.1.0.5, of another address family than frontend "fe-v6" (2001:db8:ffff::10)`},
		{"duplicate name", func(lb *LoadBalancer) {
			lb.Probes[1].Name = "http"
		}, ErrDuplicate, `slb: probes[1].name: "http" is also the name of probes[0]`},
		{"duplicate VIP", func(lb *LoadBalancer) {
			lb.FrontendIPConfigurations[1].VIP = a("203.0.113.10")
		}, ErrDuplicate, "slb: frontendIPConfigurations[1].vip: 203.0.113.10 is also the VIP of frontendIPConfigurations[0]"},
		{"multicast VIP", func(lb *LoadBalancer) {
			lb.FrontendIPConfigurations[0].VIP = a("224.0.0.1")
		}, ErrInvalid, "slb: frontendIPConfigurations[0].vip: 224.0.0.1 is not a unicast address without zone"},
		{"duplicate DIP", func(lb *LoadBalancer) {
			lb.BackendAddressPools[0].Backends[2].DIP = a("10.1.0.5")
		}, ErrDuplicate, "slb: backendAddressPools[0].backends[2].dip: 10.1.0.5 is also backendAddressPools[0].backends[0]"},
		{"missing host PA", func(lb *LoadBalancer) {
			lb.BackendAddressPools[0].Backends[1].HostPA = netip.Addr{}
		}, ErrRequired, "slb: backendAddressPools[0].backends[1].hostPA: is empty"},
		{"weight", func(lb *LoadBalancer) {
			lb.BackendAddressPools[0].Backends[1].Weight = 5000
		}, ErrRange, "slb: backendAddressPools[0].backends[1].weight: 5000 is more than 1000"},
		{"VNI", func(lb *LoadBalancer) {
			lb.BackendAddressPools[0].VNI = 1 << 24
		}, ErrRange, "slb: backendAddressPools[0].vni: 16777216 does not fit in 24 bits"},
		{"probe path", func(lb *LoadBalancer) {
			lb.Probes[0].RequestPath = "healthz"
		}, ErrInvalid, `slb: probes[0].requestPath: "healthz" does not start with /`},
		{"probe interval", func(lb *LoadBalancer) {
			lb.Probes[0].IntervalInSeconds = 4
		}, ErrRange, "slb: probes[0].intervalInSeconds: 4 seconds is outside 5-3600"},
		{"probe threshold", func(lb *LoadBalancer) {
			lb.Probes[0].ProbeThreshold = 101
		}, ErrRange, "slb: probes[0].probeThreshold: 101 is outside 1-100"},
		{"SNAT ports not a block", func(lb *LoadBalancer) {
			lb.OutboundRules[0].AllocatedOutboundPorts = 1004
		}, ErrRange, "slb: outboundRules[0].allocatedOutboundPorts: 1004 is not a positive multiple of 8 up to 64512 per frontend"},
		{"SNAT ports exhausted", func(lb *LoadBalancer) {
			lb.OutboundRules[0].AllocatedOutboundPorts = 32000
		}, ErrSNATPorts, "slb: outboundRules[0].allocatedOutboundPorts: 32000 ports for each of the 3 DIPs need 96000, but the frontends have 64501 free SNAT ports"},
		{"SNAT frontend shared", func(lb *LoadBalancer) {
			lb.OutboundRules = append(lb.OutboundRules, OutboundRule{Name: "snat2", Frontends: []string{"fe-v4"}, BackendPool: "web", Protocol: ProtocolUDP})
		}, ErrConflict, `slb: outboundRules[1].frontends[0]: frontend "fe-v4" already provides SNAT for outboundRules[0]`},
		{"SNAT no frontends", func(lb *LoadBalancer) {
			lb.OutboundRules[0].Frontends = nil
		}, ErrRequired, "slb: outboundRules[0].frontends: is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lb := webFarm()
			tc.break_(lb)
			err := lb.Validate()
			if !errors.Is(err, tc.want) {
				t.Fatalf("Validate() = %v, want %v", err, tc.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, not a *FieldError", err)
			}
			if fe.Error() != tc.text {
				t.Errorf("first error:\n got %s\nwant %s", fe.Error(), tc.text)
			}
		})
	}
}

// TestValidateCollectsAll: Validate reports every problem, not the first.
func TestValidateCollectsAll(t *testing.T) {
	lb := webFarm()
	lb.LoadBalancingRules[0].FrontendPort = 0
	lb.Probes[1].Port = 0
	lb.OutboundRules[0].Frontends = []string{"nope"}
	err := lb.Validate()
	var paths []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		paths = append(paths, e.(*FieldError).Path)
	}
	want := []string{"probes[1].port", "loadBalancingRules[0].frontendPort", "outboundRules[0].frontends[0]"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

func TestSNATDefaultAllocation(t *testing.T) {
	lb := webFarm()
	lb.OutboundRules[0].AllocatedOutboundPorts = 0
	if err := lb.Validate(); err != nil {
		t.Fatal(err)
	}
	// Ports 1024-65535 less 8080 and 50000-50009 for TCP (80, 443 and
	// 53 are below 1024; All takes the smaller of TCP and UDP) among 3
	// DIPs.
	if got, want := lb.OutboundPortsPerBackend(0), (64512-11)/3/8*8; got != want {
		t.Errorf("OutboundPortsPerBackend = %d, want %d", got, want)
	}
	if got := webFarm().OutboundPortsPerBackend(0); got != 1024 {
		t.Errorf("explicit allocation: %d", got)
	}
}

func TestAccessors(t *testing.T) {
	lb := webFarm()
	if got := lb.LoadBalancingRules[0].IdleTimeout(); got != 4*time.Minute {
		t.Errorf("default idle timeout %v", got)
	}
	if got := lb.LoadBalancingRules[1].IdleTimeout(); got != 30*time.Minute {
		t.Errorf("idle timeout %v", got)
	}
	if got := lb.Probes[1].Interval(); got != 15*time.Second {
		t.Errorf("default interval %v", got)
	}
	if lb.Probes[1].Threshold() != 1 || lb.Probes[0].Threshold() != 2 {
		t.Error("thresholds")
	}
	if lb.LoadBalancingRules[1].LoadDistribution.Mode() != flowhash.SourceIP || Distribution("").Mode() != flowhash.FiveTuple {
		t.Error("distribution modes")
	}
	if !ProtocolAll.Matches(17) || ProtocolTCP.Matches(17) || Protocol("x").Matches(6) {
		t.Error("Protocol.Matches")
	}
	bs := lb.BackendAddressPools[0].MaglevBackends()
	if bs[0].Name != "10.1.0.5" || bs[0].Weight != 1 || bs[1].Weight != 2 {
		t.Errorf("MaglevBackends = %v", bs)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	lb := webFarm()
	data, err := json.Marshal(lb)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"frontendIPConfigurations"`, `"idleTimeoutInMinutes":30`, `"enableTcpReset":true`, `"vip":"2001:db8:ffff::10"`, `"hostPA":"192.0.2.11"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}
	if strings.Contains(string(data), `"dip":""`) {
		t.Errorf("JSON has an empty dip: %s", data)
	}
	got, err := ParseLoadBalancer(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(lb, got, addrComparer); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func drawAddr(t *rapid.T, label string) netip.Addr {
	switch rapid.IntRange(0, 2).Draw(t, label+"Kind") {
	case 0:
		return netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, label)))
	case 1:
		return netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label)))
	}
	return netip.Addr{}
}

// TestJSONRoundTripProperty: any LoadBalancer, valid or not, survives
// encoding and strict decoding unchanged.
func TestJSONRoundTripProperty(t *testing.T) {
	str := rapid.StringMatching(`[a-zA-Z0-9/"\\é-]{0,8}`)
	port := rapid.IntRange(-1, 70000)
	proto := rapid.SampledFrom([]Protocol{ProtocolTCP, ProtocolUDP, ProtocolAll, "", "x"})
	rapid.Check(t, func(t *rapid.T) {
		lb := &LoadBalancer{Name: str.Draw(t, "name")}
		for range rapid.IntRange(0, 3).Draw(t, "frontends") {
			lb.FrontendIPConfigurations = append(lb.FrontendIPConfigurations, Frontend{Name: str.Draw(t, "fe"), VIP: drawAddr(t, "vip")})
		}
		for range rapid.IntRange(0, 2).Draw(t, "pools") {
			p := BackendPool{Name: str.Draw(t, "pool"), VNI: rapid.Uint32().Draw(t, "vni")}
			for range rapid.IntRange(0, 3).Draw(t, "backends") {
				p.Backends = append(p.Backends, Backend{Name: str.Draw(t, "bn"), DIP: drawAddr(t, "dip"), HostPA: drawAddr(t, "pa"), Weight: rapid.Uint32().Draw(t, "w")})
			}
			lb.BackendAddressPools = append(lb.BackendAddressPools, p)
		}
		for range rapid.IntRange(0, 2).Draw(t, "rules") {
			lb.LoadBalancingRules = append(lb.LoadBalancingRules, LoadBalancingRule{
				Name: str.Draw(t, "r"), Frontend: str.Draw(t, "rf"), BackendPool: str.Draw(t, "rp"), Probe: str.Draw(t, "rpr"),
				Protocol: proto.Draw(t, "proto"), FrontendPort: port.Draw(t, "fp"), BackendPort: port.Draw(t, "bp"),
				IdleTimeoutInMinutes: rapid.IntRange(0, 200).Draw(t, "idle"), LoadDistribution: Distribution(str.Draw(t, "dist")),
				EnableFloatingIP: rapid.Bool().Draw(t, "fip"), EnableTCPReset: rapid.Bool().Draw(t, "rst"),
			})
		}
		for range rapid.IntRange(0, 2).Draw(t, "nats") {
			lb.InboundNatRules = append(lb.InboundNatRules, InboundNatRule{
				Name: str.Draw(t, "n"), Frontend: str.Draw(t, "nf"), BackendPool: str.Draw(t, "np"), Protocol: proto.Draw(t, "nproto"),
				FrontendPort: port.Draw(t, "nfp"), DIP: drawAddr(t, "ndip"), FrontendPortRangeStart: port.Draw(t, "nrs"),
				FrontendPortRangeEnd: port.Draw(t, "nre"), BackendPort: port.Draw(t, "nbp"),
			})
		}
		for range rapid.IntRange(0, 2).Draw(t, "outbound") {
			lb.OutboundRules = append(lb.OutboundRules, OutboundRule{
				Name: str.Draw(t, "o"), Frontends: rapid.SliceOfN(str, 0, 2).Draw(t, "ofs"), BackendPool: str.Draw(t, "op"),
				Protocol: proto.Draw(t, "oproto"), AllocatedOutboundPorts: port.Draw(t, "ports"),
			})
		}
		for range rapid.IntRange(0, 2).Draw(t, "probes") {
			lb.Probes = append(lb.Probes, Probe{
				Name: str.Draw(t, "p"), Protocol: ProbeProtocol(str.Draw(t, "pproto")), Port: port.Draw(t, "pport"),
				RequestPath: str.Draw(t, "path"), IntervalInSeconds: port.Draw(t, "interval"), ProbeThreshold: port.Draw(t, "threshold"),
			})
		}
		data, err := json.Marshal(lb)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseLoadBalancer(data)
		if got == nil {
			t.Fatalf("ParseLoadBalancer(%s): %v", data, err)
		}
		// Empty slices come back as nil under omitempty.
		if diff := cmp.Diff(lb, got, addrComparer, cmpEmpty); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

var cmpEmpty = cmpopts.EquateEmpty()

func TestParseLoadBalancerStrict(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown field", `{"name":"x","vips":[]}`, `unknown field "vips"`},
		{"trailing data", `{"name":"x"} {}`, "data after the object"},
		{"bad address", `{"frontendIPConfigurations":[{"name":"f","vip":"300.1.1.1"}]}`, "ParseAddr"},
		{"too large", `{"name":"` + strings.Repeat("x", MaxConfigBytes) + `"}`, "more than"},
		{"wrong type", `{"probes":[{"name":"p","port":"80"}]}`, `slb: probes.port: JSON string at byte 34 does not fit a Go int`},
		{"negative weight", `{"backendAddressPools":[{"backends":[{"weight":-1}]}]}`, `slb: backendAddressPools.backends.weight: JSON number -1 at byte`},
	} {
		if _, err := ParseLoadBalancer([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func FuzzParseLoadBalancer(f *testing.F) {
	valid, _ := json.Marshal(webFarm())
	f.Add(valid)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"loadBalancingRules":[{"name":"r","protocol":"All","frontend":"f"}],"frontendIPConfigurations":[{"name":"f","vip":"::1"}]}`))
	f.Add([]byte(`{"inboundNatRules":[{"frontendPortRangeStart":65535,"frontendPortRangeEnd":1}]}`))
	f.Add([]byte(`{"outboundRules":[{"frontends":["a","a"],"allocatedOutboundPorts":-8}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		lb, err := ParseLoadBalancer(data)
		if lb == nil {
			return
		}
		var fe *FieldError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("validation error is not a *FieldError: %v", err)
		}
		if err == nil {
			for i := range lb.OutboundRules {
				if n := lb.OutboundPortsPerBackend(i); n < 0 || n%SNATPortBlock != 0 {
					t.Fatalf("OutboundPortsPerBackend(%d) = %d", i, n)
				}
			}
		}
		again, _ := json.Marshal(lb)
		lb2, _ := ParseLoadBalancer(again)
		if diff := cmp.Diff(lb, lb2, addrComparer, cmpEmpty); diff != "" {
			t.Fatalf("re-encoding changed the configuration:\n%s", diff)
		}
	})
}

func TestInboundNatMappings(t *testing.T) {
	lb := webFarm()
	pool := lb.BackendAddressPools[0]
	type m struct {
		Port int
		DIP  string
	}
	collect := func(r InboundNatRule) []m {
		var got []m
		for port, b := range r.Mappings(pool) {
			got = append(got, m{port, b.DIP.String()})
		}
		return got
	}
	if diff := cmp.Diff([]m{{8080, "10.1.0.5"}}, collect(lb.InboundNatRules[0])); diff != "" {
		t.Errorf("single form (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]m{{50000, "10.1.0.5"}, {50001, "10.1.0.6"}, {50002, "10.1.0.7"}}, collect(lb.InboundNatRules[1])); diff != "" {
		t.Errorf("pool form (-want +got):\n%s", diff)
	}
	for range lb.InboundNatRules[1].Mappings(pool) {
		break // stopping early must not panic
	}
	r := lb.InboundNatRules[1]
	if n := testing.AllocsPerRun(100, func() {
		for port := range r.Mappings(pool) {
			_ = port
		}
	}); n != 0 {
		t.Errorf("Mappings allocates %v times", n)
	}
}
