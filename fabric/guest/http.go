package guest

import (
	"errors"
	"net/http"
	"time"
)

// ErrClosed is returned by Serve on a closed guest.
var ErrClosed = errors.New("guest: closed")

// HTTPClient returns an HTTP client whose connections go through the
// guest's stack: no proxy, no name resolution (URLs carry IP addresses),
// keep-alives unless Config.DisableHTTPKeepAlives. Its idle connections are
// closed by Close.
func (g *Guest) HTTPClient() *http.Client {
	t := &http.Transport{
		Proxy:               nil,
		DialContext:         g.DialContext,
		DisableKeepAlives:   g.cfg.DisableHTTPKeepAlives,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	g.mu.Lock()
	g.transports = append(g.transports, t)
	g.mu.Unlock()
	return &http.Client{Transport: t}
}

// Serve serves h over HTTP/1.1 on address (as for Listen, e.g. ":80")
// until the guest is closed. The port is open when Serve returns.
func (g *Guest) Serve(address string, h http.Handler) error {
	ln, err := g.Listen("tcp", address)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	g.servers = append(g.servers, srv)
	g.serving.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.serving.Done()
		srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return nil
}
