package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

func runDelete(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric delete", flag.ContinueOnError)
	fs.SetOutput(out)
	conn := addConnFlags(fs)
	ifVersion := fs.Int64("if-version", 0, "delete only if the resource is at this resourceVersion (one NAME)")
	fs.Usage = func() {
		fmt.Fprintln(out, "usage: fabric delete KIND NAME [NAME...] [--if-version N]")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		fs.Usage()
		return fmt.Errorf("delete: want KIND NAME")
	}
	if *ifVersion != 0 && len(pos) > 2 {
		return fmt.Errorf("delete: --if-version takes one NAME")
	}
	kind, err := parseKind(pos[0])
	if err != nil {
		return err
	}
	if kind == model.KindEvent {
		return fmt.Errorf("delete: events are pruned by the controller")
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	for _, name := range pos[1:] {
		if _, err := c.Delete(ctx, kind, name, *ifVersion); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s/%s deleted\n", strings.ToLower(string(kind)), name)
	}
	return nil
}
