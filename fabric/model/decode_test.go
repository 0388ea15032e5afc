package model

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hostYAML = `apiVersion: sdnfabric.io/v1
kind: Host
metadata:
  name: host1
spec:
  logicalNetwork: provider
  subnet: pa
  providerAddress: 192.168.100.21
  mac: 02:5d:00:64:00:15
`

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		err   error
		path  string
		line  int
		inMsg string
	}{
		{"unknown spec field", strings.Replace(hostYAML, "  subnet: pa\n", "  subnet: pa\n  subnett: pa\n", 1), ErrUnknownField, "spec.subnett", 8, "unknown field"},
		{"unknown nested field", `apiVersion: sdnfabric.io/v1
kind: LogicalNetwork
metadata: {name: ln}
spec:
  subnets:
    - name: a
      prefix: 10.0.0.0/24
    - name: b
      prefx: 10.0.1.0/24
`, ErrUnknownField, "spec.subnets[1].prefx", 9, "unknown field"},
		{"unknown envelope field", "apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h}\nspek: {}\n", ErrUnknownField, "spek", 4, "unknown field"},
		{"unknown metadata field", "apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h, nam: x}\n", ErrUnknownField, "metadata.nam", 3, ""},
		{"bad address", strings.Replace(hostYAML, "192.168.100.21", "192.168.100.300", 1), ErrType, "spec.providerAddress", 8, "300"},
		{"bad MAC", strings.Replace(hostYAML, "02:5d:00:64:00:15", "02:5d:00:64:00", 1), ErrType, "spec.mac", 9, ""},
		{"string for int", "apiVersion: sdnfabric.io/v1\nkind: VirtualNetwork\nmetadata: {name: v}\nspec: {vni: five}\n", ErrType, "spec.vni", 4, `"five" is not an integer`},
		{"number for string", "apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h}\nspec: {subnet: 10}\n", ErrType, "spec.subnet", 4, "quote it"},
		{"int overflow", "apiVersion: sdnfabric.io/v1\nkind: VirtualNetwork\nmetadata: {name: v}\nspec: {vni: 99999999999}\n", ErrType, "spec.vni", 4, "32 bits"},
		{"negative uint", "apiVersion: sdnfabric.io/v1\nkind: VirtualNetwork\nmetadata: {name: v}\nspec: {vni: -1}\n", ErrType, "spec.vni", 4, ""},
		{"unknown kind", "apiVersion: sdnfabric.io/v1\nkind: Router\nmetadata: {name: r}\n", ErrUnknownKind, "kind", 2, "Router"},
		{"bad apiVersion", "apiVersion: v2\nkind: Host\nmetadata: {name: r}\n", ErrAPIVersion, "apiVersion", 1, ""},
		{"status on event", "apiVersion: sdnfabric.io/v1\nkind: Event\nmetadata: {name: e}\nstatus: {x: 1}\n", ErrUnknownField, "status", 4, ""},
		{"unknown status field", "apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h}\nstatus: {redy: true}\n", ErrUnknownField, "status.redy", 4, ""},
		{"DIP health without an address", "apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h}\nstatus: {health: [{dip: x, up: true}]}\n", ErrType, "status.health[0].dip", 4, ""},
		{"repeated key", "apiVersion: sdnfabric.io/v1\nkind: Host\nkind: Mux\nmetadata: {name: h}\n", ErrSyntax, "kind", 3, "repeated"},
		{"merge key", "a: &a {x: 1}\n<<: *a\n", ErrSyntax, "", 2, "merge"},
		{"yaml syntax", "apiVersion: [\n", ErrSyntax, "", 0, ""},
		{"infinity", "apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h}\nspec: {mtu: .inf}\n", ErrType, "spec.mtu", 4, ""},
		{"custom tag", "apiVersion: !foo sdnfabric.io/v1\n", ErrType, "apiVersion", 1, "tag"},
		{"json unknown field", `{"apiVersion":"sdnfabric.io/v1","kind":"Host","metadata":{"name":"h"},"spec":{"mac2":"x"}}`, ErrUnknownField, "spec.mac2", 0, ""},
		{"json in array", `[{"apiVersion":"sdnfabric.io/v1","kind":"Host","metadata":{"name":"h"}},{"apiVersion":"sdnfabric.io/v1","kind":"Hots","metadata":{"name":"h"}}]`, ErrUnknownKind, "[1].kind", 0, ""},
		{"field name in the wrong case", "apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h}\nSpec: {}\n", ErrUnknownField, "Spec", 4, "case-sensitive"},
		{"nested field name in the wrong case", "apiVersion: sdnfabric.io/v1\nkind: Host\nmetadata: {name: h}\nspec: {MAC: 02:00:00:00:00:01}\n", ErrUnknownField, "spec.MAC", 4, `"mac"`},
		{"json syntax", `{"apiVersion":`, ErrSyntax, "", 0, ""},
		{"json trailing garbage", `{"apiVersion":"sdnfabric.io/v1","kind":"Host","metadata":{"name":"h"}} x`, ErrSyntax, "", 0, ""},
		{"json too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), ErrTooLarge, "", 0, "deeper"},
		{"yaml too deep", strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2), ErrTooLarge, "", 0, "deeper"},
		{"too large", strings.Repeat(" ", MaxFileBytes+1), ErrTooLarge, "", 0, ""},
		{"alias bomb", aliasBomb(), ErrTooLarge, "", 0, "aliases expand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("decoded %d objects, want an error", len(objs))
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v does not wrap %v", err, tt.err)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			if tt.path != "" && de.Path != tt.path {
				t.Errorf("path %q, want %q (%v)", de.Path, tt.path, err)
			}
			if tt.line != 0 && de.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", de.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.inMsg) {
				t.Errorf("error %q does not say %q", err, tt.inMsg)
			}
		})
	}
}

// aliasBomb is a "billion laughs" document: nine levels of nine aliases.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [\"lol lol lol lol lol lol lol lol\"]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 9 {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestDecodeForms(t *testing.T) {
	one := hostYAML
	objs, err := Decode([]byte("---\n# nothing\n---\n" + one + "---\n" + strings.Replace(one, "host1", "host2", 1) + "---\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[1].Metadata.Name != "host2" {
		t.Fatalf("got %+v", objs)
	}
	// YAML in flow style is YAML, though it starts like JSON.
	objs, err = Decode([]byte("{apiVersion: sdnfabric.io/v1, kind: Host, metadata: {name: h}}"))
	if err != nil || len(objs) != 1 {
		t.Fatalf("flow-style YAML: %v", err)
	}
	// Hexadecimal integers are integers.
	objs, err = Decode([]byte("apiVersion: sdnfabric.io/v1\nkind: Catalog\nmetadata: {name: c}\nspec: {macPrefix: 0x5d02}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(objs[0].Spec); !strings.Contains(got, `"macPrefix":23810`) {
		t.Errorf("spec %s", got)
	}
	// JSON: an array, then a stream.
	var buf bytes.Buffer
	if err := EncodeJSON(&buf, objs); err != nil {
		t.Fatal(err)
	}
	stream := append(bytes.Clone(buf.Bytes()), buf.Bytes()...)
	got, err := Decode(stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("stream gave %d objects", len(got))
	}
	if _, err := ReadFile(strings.NewReader(strings.Repeat("#", MaxFileBytes+1))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile of a large file: %v", err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	objs := readSeed(t)
	s, err := NewState(objs)
	if err != nil {
		t.Fatal(err)
	}
	objs = s.Objects()
	objs[0].Metadata.Labels = map[string]string{"tier": "1", "yes": "no"}
	objs[3].Status = []byte(`{"allocated":1,"available":240}`) // the PublicIPPool
	objs[4].Status = []byte(`{"ready":true,"probes":[{"loadBalancer":"portal","probe":"http-probe","dip":"10.1.0.4","healthy":true}],` +
		`"health":[{"vni":5001,"dip":"10.1.0.4","up":false,"busy":true,"since":"2026-11-22T03:40:00Z"}]}`)
	for _, enc := range []struct {
		name string
		fn   func(*bytes.Buffer, []Object) error
	}{
		{"yaml", func(b *bytes.Buffer, o []Object) error { return EncodeYAML(b, o) }},
		{"json", func(b *bytes.Buffer, o []Object) error { return EncodeJSON(b, o) }},
	} {
		var buf bytes.Buffer
		if err := enc.fn(&buf, objs); err != nil {
			t.Fatal(err)
		}
		back, err := Decode(buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %v\n%s", enc.name, err, buf.Bytes())
		}
		if diff := cmp.Diff(objs, back); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", enc.name, diff)
		}
	}
}

func TestDecodeSpec(t *testing.T) {
	o := Object{APIVersion: APIVersion, Kind: KindHost, Spec: []byte(`{"providerAddress":"10.0.0.1","x":1}`)}
	if _, err := o.DecodeSpec(); !errors.Is(err, ErrUnknownField) {
		t.Errorf("DecodeSpec: %v", err)
	}
	o.Kind = "Nope"
	if _, err := o.DecodeSpec(); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("DecodeSpec of unknown kind: %v", err)
	}
}
