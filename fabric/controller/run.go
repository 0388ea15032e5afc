package controller

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/metrics"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// ServerFile is the name of the file in the data directory holding the
// running controller's URL, for the CLI on the same machine.
const ServerFile = "server"

// DefaultListen is the default API address.
const DefaultListen = "127.0.0.1:7443"

// Options configure the controller process.
type Options struct {
	// Store names the store (see OpenStore); Open, if set, opens it
	// instead (tests wrap stores this way).
	Store string
	Open  func() (store.Store, error)
	// DataDir holds the token, the TLS certificate and key, the server
	// file and the default bolt store. It is created with mode 0700.
	DataDir string
	// Listen is the API's TCP address (default DefaultListen).
	Listen string
	// TLS serves https with the data directory's certificate, generated
	// self-signed at first start.
	TLS            bool
	AnonymousReads bool
	EventLimit     int
	Rules          Rules
	Logger         *slog.Logger
	// Ready, if set, is called with the API's URL once it serves.
	Ready func(url string)
}

// Run runs the controller until ctx ends: it opens the store, serves the
// REST API, /metrics and /healthz, and records its start in the event
// log. On return the store is closed and open watch streams have ended.
func Run(ctx context.Context, opt Options) error {
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	if opt.DataDir == "" {
		return errors.New("controller: no data directory")
	}
	if opt.Listen == "" {
		opt.Listen = DefaultListen
	}
	if err := os.MkdirAll(opt.DataDir, 0o700); err != nil {
		return err
	}
	token, err := api.LoadOrCreateToken(opt.DataDir)
	if err != nil {
		return fmt.Errorf("controller: token: %w", err)
	}
	var st store.Store
	if opt.Open != nil {
		st, err = opt.Open()
	} else {
		st, err = OpenStore(opt.Store, opt.DataDir, log)
	}
	if err != nil {
		return fmt.Errorf("controller: store: %w", err)
	}
	defer st.Close()

	reg := metrics.NewRegistry()
	ctrl, err := New(Config{Store: st, Rules: opt.Rules, EventLimit: opt.EventLimit, Logger: log, Metrics: reg})
	if err != nil {
		return err
	}
	srv, err := api.NewServer(api.Config{
		Backend: ctrl, Token: token, AnonymousReads: opt.AnonymousReads, Metrics: reg, Logger: log,
		Backup: func(ctx context.Context, w io.Writer) (store.BackupInfo, error) { return store.Backup(ctx, st, w) },
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	mux.Handle("/metrics", reg)

	ln, err := net.Listen("tcp", opt.Listen)
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	scheme := "http"
	if opt.TLS {
		host, _, _ := net.SplitHostPort(opt.Listen)
		name, _ := os.Hostname()
		cert, err := api.LoadOrCreateCert(opt.DataDir, []string{host, name})
		if err != nil {
			ln.Close()
			return fmt.Errorf("controller: TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	serverFile := filepath.Join(opt.DataDir, ServerFile)
	if err := writeAtomic(serverFile, []byte(url+"\n")); err != nil {
		log.Warn("cannot write the server file", "path", serverFile, "err", err)
	}
	ctrl.Record(ctx, model.EventSpec{Type: model.EventNormal, Reason: "Started",
		Message: fmt.Sprintf("controller serving %s on store %s", url, storeName(opt))})
	log.Info("controller serving", "url", url, "store", storeName(opt), "data", opt.DataDir)
	if opt.Ready != nil {
		opt.Ready(url)
	}

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	srv.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := hs.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	os.Remove(serverFile)
	log.Info("controller stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func storeName(opt Options) string {
	switch {
	case opt.Open != nil:
		return "custom"
	case opt.Store == "":
		return filepath.Join(opt.DataDir, StoreFile)
	}
	return opt.Store
}

// writeAtomic replaces path with data.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
