package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/model"
	"go.yaml.in/yaml/v3"
)

// kindAliases are the short names the CLI accepts besides each kind's
// name and plural.
var kindAliases = map[string]model.Kind{
	"lnet": model.KindLogicalNetwork, "lnets": model.KindLogicalNetwork,
	"vnet": model.KindVirtualNetwork, "vnets": model.KindVirtualNetwork,
	"nic": model.KindNetworkInterface, "nics": model.KindNetworkInterface,
	"lb": model.KindLoadBalancer, "lbs": model.KindLoadBalancer,
	"muxes": model.KindMux,
	"gw":    model.KindGateway, "gws": model.KindGateway,
	"pool": model.KindPublicIPPool, "pools": model.KindPublicIPPool,
	"ev": model.KindEvent,
}

// parseKind accepts a kind as its name, its plural, either in any case
// ("Host", "hosts", "host"), or a short name ("nic", "lb", "vnet").
func parseKind(s string) (model.Kind, error) {
	l := strings.ToLower(s)
	for _, k := range model.Kinds() {
		if l == strings.ToLower(string(k)) || l == k.Plural() {
			return k, nil
		}
	}
	if k, ok := kindAliases[l]; ok {
		return k, nil
	}
	names := make([]string, 0, len(model.Kinds()))
	for _, k := range model.Kinds() {
		names = append(names, k.Plural())
	}
	return "", fmt.Errorf("unknown kind %q (want one of %s)", s, strings.Join(names, ", "))
}

func runGet(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric get", flag.ContinueOnError)
	fs.SetOutput(out)
	conn := addConnFlags(fs)
	format := fs.String("o", "table", "output format: table, json or yaml")
	fs.Usage = func() { fmt.Fprintln(out, "usage: fabric get KIND [NAME...] [-o table|json|yaml]"); fs.PrintDefaults() }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return fmt.Errorf("get: no kind given")
	}
	if *format != "table" && *format != "json" && *format != "yaml" {
		return fmt.Errorf("get: -o %q: want table, json or yaml", *format)
	}
	kind, err := parseKind(pos[0])
	if err != nil {
		return err
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	var objs []model.Object
	if len(pos) == 1 {
		if objs, _, err = c.List(ctx, kind); err != nil {
			return err
		}
	} else {
		for _, name := range pos[1:] {
			o, err := c.Get(ctx, kind, name)
			if err != nil {
				return err
			}
			objs = append(objs, o)
		}
	}
	switch *format {
	case "json":
		return model.EncodeJSON(out, objs)
	case "yaml":
		return model.EncodeYAML(out, objs)
	}
	if len(objs) == 0 {
		fmt.Fprintf(out, "No %s.\n", kind.Plural())
		return nil
	}
	return writeTable(out, kind, objs, time.Now())
}

// column is one column of a kind's table: JSON paths into the object,
// "[]" mapping over an array ("spec.subnets[].prefix"); the first path
// with a value wins.
type column struct {
	title string
	paths []string
}

// tableColumns are the kind-specific columns, between NAME and the
// common GEN/VERSION/AGE.
var tableColumns = map[model.Kind][]column{
	model.KindHost: {{"PROVIDER-ADDRESS", []string{"spec.providerAddress"}}, {"SUBNET", []string{"spec.logicalNetwork"}},
		{"MAC", []string{"spec.mac"}}, {"READY", []string{"status.ready"}}},
	model.KindLogicalNetwork: {{"PROVIDER", []string{"spec.provider"}}, {"MTU", []string{"spec.mtu"}},
		{"SUBNETS", []string{"spec.subnets[].prefix"}}},
	model.KindVirtualNetwork: {{"VNI", []string{"spec.vni"}}, {"ADDRESS-SPACE", []string{"spec.addressSpace[]"}},
		{"SUBNETS", []string{"spec.subnets[].prefix"}}},
	model.KindNetworkInterface: {{"NETWORK", []string{"spec.virtualNetwork", "spec.logicalNetwork"}},
		{"SUBNET", []string{"spec.subnet"}}, {"HOST", []string{"spec.host"}}, {"MAC", []string{"spec.mac"}},
		{"ADDRESSES", []string{"spec.addresses[]"}}},
	model.KindLoadBalancer: {{"VIPS", []string{"spec.frontendIPConfigurations[].vip"}},
		{"RULES", []string{"spec.loadBalancingRules[].name"}}, {"POOL", []string{"spec.publicIPPool"}}},
	model.KindMux: {{"ADDRESS", []string{"spec.address"}}, {"ASN", []string{"spec.asn"}},
		{"PEERS", []string{"spec.peers[].address"}}, {"SESSIONS", []string{"status.peers[].state"}}},
	model.KindGateway: {{"ROLES", []string{"spec.roles[]"}}, {"INTERFACES", []string{"spec.interfaces[].name"}},
		{"SESSIONS", []string{"status.peers[].state"}}},
	model.KindPublicIPPool: {{"PREFIX", []string{"spec.prefix"}}, {"START", []string{"spec.start"}}, {"END", []string{"spec.end"}}},
	model.KindCatalog: {{"IMAGE", []string{"spec.image.name"}}, {"COUNT", []string{"spec.count"}},
		{"NETWORK", []string{"spec.virtualNetwork"}}, {"SUBNET", []string{"spec.subnet"}}},
}

func writeTable(out io.Writer, kind model.Kind, objs []model.Object, now time.Time) error {
	tw := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	if kind == model.KindEvent {
		fmt.Fprintln(tw, "AGE\tTYPE\tREASON\tOBJECT\tSOURCE\tMESSAGE")
		for _, o := range objs {
			var e model.EventSpec
			json.Unmarshal(o.Spec, &e)
			about := string(e.Object.Kind) + "/" + e.Object.Name
			if e.Object.Kind == model.KindEvent && e.Object.Name == o.Metadata.Name {
				about = "-" // about no resource in particular
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", age(now, e.Time), e.Type, e.Reason,
				about, e.Source, firstLine(e.Message))
		}
		return tw.Flush()
	}
	cols := tableColumns[kind]
	head := []string{"NAME"}
	for _, c := range cols {
		head = append(head, c.title)
	}
	fmt.Fprintln(tw, strings.Join(append(head, "GEN", "VERSION", "AGE"), "\t"))
	for _, o := range objs {
		doc := asTree(o)
		row := []string{o.Metadata.Name}
		for _, c := range cols {
			v := "-"
			for _, p := range c.paths {
				if vals := pluck(doc, p); len(vals) > 0 {
					v = strings.Join(vals, ",")
					break
				}
			}
			row = append(row, v)
		}
		row = append(row, strconv.FormatInt(o.Metadata.Generation, 10), o.Metadata.ResourceVersion, age(now, o.Metadata.CreationTimestamp))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// asTree is the object as generic JSON values.
func asTree(o model.Object) any {
	b, _ := json.Marshal(o)
	var v any
	json.Unmarshal(b, &v)
	return v
}

// pluck returns the values at path ("spec.subnets[].prefix") as strings.
func pluck(v any, path string) []string {
	if path == "" {
		switch x := v.(type) {
		case nil:
			return nil
		case string:
			return []string{x}
		case float64:
			return []string{strconv.FormatFloat(x, 'f', -1, 64)}
		case bool:
			return []string{strconv.FormatBool(x)}
		default:
			b, _ := json.Marshal(x)
			return []string{string(b)}
		}
	}
	seg, rest, _ := strings.Cut(path, ".")
	name, each := strings.CutSuffix(seg, "[]")
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	next, ok := m[name]
	if !ok {
		return nil
	}
	if !each {
		return pluck(next, rest)
	}
	arr, _ := next.([]any)
	var out []string
	for _, e := range arr {
		out = append(out, pluck(e, rest)...)
	}
	return out
}

// age is a short duration since t ("45s", "12m", "3h", "5d").
func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < 2*time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

func firstLine(s string) string {
	l, _, more := strings.Cut(s, "\n")
	if more {
		return l + " ..."
	}
	return l
}

func runDescribe(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric describe", flag.ContinueOnError)
	fs.SetOutput(out)
	conn := addConnFlags(fs)
	fs.Usage = func() { fmt.Fprintln(out, "usage: fabric describe KIND NAME"); fs.PrintDefaults() }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return fmt.Errorf("describe: want KIND NAME")
	}
	kind, err := parseKind(pos[0])
	if err != nil {
		return err
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	o, err := c.Get(ctx, kind, pos[1])
	if err != nil {
		return err
	}
	now := time.Now()
	fmt.Fprintf(out, "Name:        %s\nKind:        %s\nVersion:     %s\nGeneration:  %d\nCreated:     %s (%s ago)\n",
		o.Metadata.Name, o.Kind, o.Metadata.ResourceVersion, o.Metadata.Generation,
		o.Metadata.CreationTimestamp.Format(time.RFC3339), age(now, o.Metadata.CreationTimestamp))
	for _, m := range []struct {
		title string
		kv    map[string]string
	}{{"Labels", o.Metadata.Labels}, {"Annotations", o.Metadata.Annotations}} {
		if len(m.kv) == 0 {
			continue
		}
		fmt.Fprintf(out, "%s:\n", m.title)
		for _, k := range slices.Sorted(maps.Keys(m.kv)) {
			fmt.Fprintf(out, "  %s=%s\n", k, m.kv[k])
		}
	}
	for _, part := range []struct {
		title string
		raw   json.RawMessage
	}{{"Spec", o.Spec}, {"Status", o.Status}} {
		fmt.Fprintf(out, "%s:\n", part.title)
		if len(part.raw) == 0 {
			fmt.Fprintln(out, "  (none)")
			continue
		}
		if err := writeIndentedYAML(out, part.raw); err != nil {
			return err
		}
	}
	events, _, err := c.List(ctx, model.KindEvent)
	if err != nil {
		return err
	}
	var mine []model.Object
	for _, e := range events {
		var s model.EventSpec
		if json.Unmarshal(e.Spec, &s) == nil && s.Object.Kind == kind && s.Object.Name == o.Metadata.Name {
			mine = append(mine, e)
		}
	}
	fmt.Fprintln(out, "Events:")
	if len(mine) == 0 {
		fmt.Fprintln(out, "  (none)")
		return nil
	}
	return writeTable(&indent{w: out}, model.KindEvent, mine[max(0, len(mine)-10):], now)
}

// writeIndentedYAML writes a JSON value as YAML, keys in their JSON
// order, indented by two spaces.
func writeIndentedYAML(out io.Writer, raw json.RawMessage) error {
	var n yaml.Node
	if err := yaml.Unmarshal(raw, &n); err != nil { // JSON is YAML
		return err
	}
	clearStyle(&n)
	enc := yaml.NewEncoder(&indent{w: out})
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return err
	}
	return enc.Close()
}

// clearStyle drops the flow style and quoting JSON input has, so the
// YAML reads as block YAML.
func clearStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		clearStyle(c)
	}
}

// indent prefixes every line written through it with two spaces.
type indent struct {
	w   io.Writer
	mid bool // inside a line
}

func (d *indent) Write(p []byte) (int, error) {
	var b []byte
	for _, c := range p {
		if !d.mid {
			b = append(b, ' ', ' ')
			d.mid = true
		}
		b = append(b, c)
		if c == '\n' {
			d.mid = false
		}
	}
	if _, err := d.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}
