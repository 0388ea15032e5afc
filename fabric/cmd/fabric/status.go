package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// runStatus prints the controller's state at a glance: resources per
// kind, how many of those with a status report ready, and the latest
// warnings.
func runStatus(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric status", flag.ContinueOnError)
	fs.SetOutput(out)
	conn := addConnFlags(fs)
	warnings := fs.Int("warnings", 5, "how many recent warning events to show")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	fmt.Fprintf(out, "Controller: %s\n", c.Server)
	var events []model.Object
	var rev int64
	fmt.Fprintln(tw, "KIND\tRESOURCES\tREPORTING\tREADY")
	for _, k := range model.Kinds() {
		objs, r, err := c.List(ctx, k)
		if err != nil {
			return err
		}
		rev = max(rev, r)
		if k == model.KindEvent {
			events = objs
			continue
		}
		reporting, ready := 0, 0
		for _, o := range objs {
			if len(o.Status) == 0 {
				continue
			}
			reporting++
			var s struct{ Ready bool }
			if json.Unmarshal(o.Status, &s) == nil && s.Ready {
				ready++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", k.Plural(), len(objs), reporting, ready)
	}
	tw.Flush()
	fmt.Fprintf(out, "Revision: %d, events: %d\n", rev, len(events))
	var warn []model.Object
	for _, e := range events {
		var s model.EventSpec
		if json.Unmarshal(e.Spec, &s) == nil && s.Type == model.EventWarning {
			warn = append(warn, e)
		}
	}
	if len(warn) == 0 || *warnings <= 0 {
		fmt.Fprintln(out, "No warnings.")
		return nil
	}
	fmt.Fprintf(out, "Latest warnings:\n")
	return writeTable(&indent{w: out}, model.KindEvent, warn[max(0, len(warn)-*warnings):], time.Now())
}
