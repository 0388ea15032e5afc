package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// fileList is a repeatable -f flag.
type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

// readObjects decodes every file ("-" is stdin): YAML (multi-document)
// or JSON.
func readObjects(files []string, stdin io.Reader) ([]model.Object, error) {
	var all []model.Object
	for _, f := range files {
		objs, err := readObjectFile(f, stdin)
		if err != nil {
			return nil, err
		}
		all = append(all, objs...)
	}
	return all, nil
}

// readObjectFile decodes one file ("-" is stdin) with model.ReadFile,
// which bounds what it reads.
func readObjectFile(name string, stdin io.Reader) ([]model.Object, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	objs, err := model.ReadFile(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return objs, nil
}

// readBounded reads a file of at most limit bytes (one more tells the
// caller it is too large).
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

func runApply(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric apply", flag.ContinueOnError)
	fs.SetOutput(out)
	conn := addConnFlags(fs)
	var files fileList
	fs.Var(&files, "f", "file of resources, YAML or JSON (repeatable; - is stdin)")
	fs.Usage = func() {
		fmt.Fprintln(out, "usage: fabric apply -f FILE [-f FILE...]\n\nCreates or updates every resource of the files in one all-or-nothing batch.")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 || len(pos) > 0 {
		fs.Usage()
		return fmt.Errorf("apply: want -f FILE")
	}
	objs, err := readObjects(files, os.Stdin)
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		return fmt.Errorf("apply: no resources in %s", files.String())
	}
	if len(objs) > controller.MaxBatch {
		return fmt.Errorf("apply: %d resources, more than the %d one all-or-nothing batch holds", len(objs), controller.MaxBatch)
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	res, rev, err := c.Apply(ctx, objs)
	if err != nil {
		return err
	}
	// Written resources carry the batch's revision; those the batch did
	// not change keep their older one.
	for _, o := range res {
		verb := "configured"
		switch {
		case rev == 0 || o.Metadata.ResourceVersion != strconv.FormatInt(rev, 10):
			verb = "unchanged"
		case o.Metadata.Generation == 1 && o.Status == nil:
			verb = "created"
		}
		fmt.Fprintf(out, "%s/%s %s\n", strings.ToLower(string(o.Kind)), o.Metadata.Name, verb)
	}
	return nil
}
