package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/sdnfabric/sdnfabric/fabric/controller"
)

// runController runs the network controller until interrupted.
func runController(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric controller", flag.ContinueOnError)
	fs.SetOutput(out)
	var opt controller.Options
	fs.StringVar(&opt.Store, "store", "", "store: a bolt file (default DATA-DIR/fabric.db), etcd://host:port[,host:port] or mem")
	fs.StringVar(&opt.DataDir, "data-dir", defaultDataDir(), "data directory: token, TLS certificate, server file, default store (env FABRIC_DATA_DIR)")
	fs.StringVar(&opt.Listen, "listen", controller.DefaultListen, "API address")
	fs.BoolVar(&opt.TLS, "tls", false, "serve https with a self-signed certificate generated in the data directory")
	fs.BoolVar(&opt.AnonymousReads, "anonymous-reads", false, "serve GET requests without a token (writes always need it)")
	fs.IntVar(&opt.EventLimit, "event-limit", 1000, "Event resources kept in the event log")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return fmt.Errorf("controller: unexpected argument %q", pos[0])
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("controller: --log-level: %w", err)
	}
	opt.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	opt.Ready = func(url string) {
		fmt.Fprintf(out, "controller serving %s (data directory %s)\n", url, opt.DataDir)
	}
	return controller.Run(ctx, opt)
}
