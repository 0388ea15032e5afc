package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/metrics"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// Body limits. A resource is stored as one value of at most
// store.MaxValueSize bytes; a batch as one Apply of at most
// store.MaxApplyBytes.
const (
	DefaultMaxObjectBytes = store.MaxValueSize + 64<<10
	DefaultMaxBatchBytes  = store.MaxApplyBytes + 256<<10
)

// StatePath is the collection (/v1/state) of the whole desired state:
// every kind but events, listed from one snapshot and watched as one
// stream.
const StatePath = "state"

// Config configures a Server.
type Config struct {
	Backend Backend
	// Token is the bearer token every write (and, unless AnonymousReads,
	// every read) must carry. It must not be empty.
	Token          string
	AnonymousReads bool
	// Backup, if set, serves GET /v1/backup: a store backup of the whole
	// state (store.Backup).
	Backup func(ctx context.Context, w io.Writer) (store.BackupInfo, error)
	// Metrics, if set, receives the API's request and watch metrics.
	Metrics *metrics.Registry
	Logger  *slog.Logger
	// MaxObjectBytes and MaxBatchBytes bound request bodies (defaults
	// DefaultMaxObjectBytes and DefaultMaxBatchBytes).
	MaxObjectBytes, MaxBatchBytes int64
	// MaxWatches bounds concurrent watch streams (default 256); more are
	// refused with 429.
	MaxWatches int
	// BookmarkInterval is how often an idle watch stream gets a BOOKMARK
	// (default 30 s); WatchWriteTimeout bounds writing one event to a
	// stalled client (default 30 s).
	BookmarkInterval, WatchWriteTimeout time.Duration
}

// Server is the REST API's http.Handler.
type Server struct {
	cfg      Config
	tokens   tokenChecker
	log      *slog.Logger
	kinds    map[string]model.Kind // plural -> kind
	watches  atomic.Int64
	done     chan struct{}
	closeOne sync.Once

	requests *metrics.CounterVec
	streams  *metrics.GaugeVec
}

// NewServer returns a Server for cfg.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("api: Config.Backend is nil")
	}
	if cfg.Token == "" {
		return nil, errors.New("api: Config.Token is empty (anonymous writes are not allowed)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxObjectBytes <= 0 {
		cfg.MaxObjectBytes = DefaultMaxObjectBytes
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if cfg.MaxWatches <= 0 {
		cfg.MaxWatches = 256
	}
	if cfg.BookmarkInterval <= 0 {
		cfg.BookmarkInterval = 30 * time.Second
	}
	if cfg.WatchWriteTimeout <= 0 {
		cfg.WatchWriteTimeout = 30 * time.Second
	}
	s := &Server{cfg: cfg, tokens: newTokenChecker(cfg.Token), log: cfg.Logger,
		kinds: make(map[string]model.Kind), done: make(chan struct{})}
	for _, k := range model.Kinds() {
		s.kinds[k.Plural()] = k
	}
	if cfg.Metrics != nil {
		s.requests = cfg.Metrics.NewCounter("fabric_api_requests_total",
			"API requests by method and HTTP status code.", "method", "code")
		s.streams = cfg.Metrics.NewGauge("fabric_api_watch_streams", "Open watch streams by kind.", "kind")
	}
	return s, nil
}

// Close ends every open watch stream cleanly; call it before
// http.Server.Shutdown, which does not wait for streams to end on their
// own.
func (s *Server) Close() { s.closeOne.Do(func() { close(s.done) }) }

// statusWriter records the status code for metrics and logs.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	start := time.Now()
	s.serve(w, r)
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if s.requests != nil {
		s.requests.With(methodLabel(r.Method), strconv.Itoa(w.code)).Inc()
	}
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "api request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("code", w.code), slog.Duration("took", time.Since(start)))
}

// methodLabel bounds the method label's cardinality.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead:
		return m
	}
	return "other"
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemFor(err, r.URL.Path)
	if p.Status >= 500 {
		s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeProblem(w, p)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	const prefix = "/v1/"
	if r.URL.Path == "/healthz" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		return
	}
	if !strings.HasPrefix(r.URL.Path, prefix) {
		s.fail(w, r, &Error{Err: ErrNotFound, Detail: "no such path; the API is under /v1/"})
		return
	}
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	// A backup is a read, but of everything at once: never anonymous.
	backup := r.URL.Path == prefix+"backup"
	if (write || backup || !s.cfg.AnonymousReads) && !s.tokens.check(r) {
		s.fail(w, r, &Error{Err: ErrUnauthorized, Detail: "missing or wrong bearer token"})
		return
	}
	parts := strings.Split(r.URL.Path[len(prefix):], "/")
	switch {
	case len(parts) == 1 && parts[0] == "apply":
		if !allow(w, r, s, http.MethodPost) {
			return
		}
		s.apply(w, r)
		return
	case len(parts) == 1 && parts[0] == StatePath:
		if !allow(w, r, s, http.MethodGet) {
			return
		}
		if v := r.URL.Query().Get("watch"); v == "true" || v == "1" {
			s.watch(w, r, "")
		} else {
			s.list(w, r, "")
		}
		return
	case len(parts) == 1 && parts[0] == "backup" && s.cfg.Backup != nil:
		if !allow(w, r, s, http.MethodGet) {
			return
		}
		s.backup(w, r)
		return
	}
	kind, ok := s.kinds[parts[0]]
	if !ok || len(parts) > 3 || (len(parts) == 3 && parts[2] != "status") || (len(parts) > 1 && parts[1] == "") {
		s.fail(w, r, &Error{Err: ErrNotFound, Detail: fmt.Sprintf("no such resource path %q", r.URL.Path)})
		return
	}
	if write && kind == model.KindEvent {
		s.fail(w, r, &Error{Err: ErrNotAllowed, Kind: kind, Detail: "events are written by the controller only"})
		return
	}
	switch len(parts) {
	case 1:
		if !allow(w, r, s, http.MethodGet, http.MethodPost) {
			return
		}
		if r.Method == http.MethodPost {
			s.create(w, r, kind)
		} else if v := r.URL.Query().Get("watch"); v == "true" || v == "1" {
			s.watch(w, r, kind)
		} else {
			s.list(w, r, kind)
		}
	case 2:
		if !allow(w, r, s, http.MethodGet, http.MethodPut, http.MethodDelete) {
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.get(w, r, kind, parts[1])
		case http.MethodPut:
			s.update(w, r, kind, parts[1], false)
		default:
			s.delete(w, r, kind, parts[1])
		}
	case 3:
		if !allow(w, r, s, http.MethodPut) {
			return
		}
		s.update(w, r, kind, parts[1], true)
	}
}

func allow(w http.ResponseWriter, r *http.Request, s *Server, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m || (m == http.MethodGet && r.Method == http.MethodHead) {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	s.fail(w, r, &Error{Err: ErrNotAllowed, Detail: r.Method + " is not allowed here"})
	return false
}

// writeJSON writes v with status; an object's resourceVersion becomes the
// ETag.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if o, ok := v.(*model.Object); ok && o.Metadata.ResourceVersion != "" {
		h.Set("ETag", strconv.Quote(o.Metadata.ResourceVersion))
	}
	w.WriteHeader(status)
	b, err := json.Marshal(v)
	if err != nil {
		return // objects decoded from the store always marshal
	}
	w.Write(append(b, '\n'))
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, kind model.Kind, name string) {
	o, err := s.cfg.Backend.Get(r.Context(), kind, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, &o)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, kind model.Kind) {
	items, rev, err := s.cfg.Backend.List(r.Context(), kind)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if items == nil {
		items = []model.Object{}
	}
	listKind := string(kind) + "List"
	if kind == "" {
		listKind = "StateList"
	}
	writeJSON(w, http.StatusOK, &List{APIVersion: model.APIVersion, Kind: listKind,
		Metadata: ListMeta{ResourceVersion: strconv.FormatInt(rev, 10)}, Items: items})
}

// decodeBody decodes one JSON value of at most limit bytes into v,
// refusing unknown envelope fields and trailing data.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &Error{Err: ErrBadRequest, Detail: fmt.Sprintf("Content-Type %q, want application/json", ct)}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the JSON value")
		}
	}
	if err == nil {
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{Err: ErrTooLarge, Detail: fmt.Sprintf("body larger than %d bytes", mbe.Limit)}
	}
	return &Error{Err: ErrBadRequest, Detail: "body: " + err.Error()}
}

// fillEnvelope checks the envelope against the path, filling what the
// client left out.
func fillEnvelope(o *model.Object, kind model.Kind, name string) error {
	if o.APIVersion == "" {
		o.APIVersion = model.APIVersion
	}
	if o.APIVersion != model.APIVersion {
		return &Error{Err: ErrBadRequest, Kind: kind, Name: o.Metadata.Name,
			Fields: []FieldError{{Field: "apiVersion", Detail: fmt.Sprintf("%q, want %q", o.APIVersion, model.APIVersion)}},
			Detail: "unsupported apiVersion"}
	}
	if o.Kind == "" {
		o.Kind = kind
	}
	if o.Kind != kind {
		return &Error{Err: ErrBadRequest, Kind: kind, Name: o.Metadata.Name, Detail: fmt.Sprintf("body is a %s, the path a %s", o.Kind, kind)}
	}
	if name != "" {
		if o.Metadata.Name == "" {
			o.Metadata.Name = name
		}
		if o.Metadata.Name != name {
			return &Error{Err: ErrBadRequest, Kind: kind, Name: name, Detail: fmt.Sprintf("body names %q, the path %q", o.Metadata.Name, name)}
		}
	}
	return nil
}

// ifVersion returns the revision a write is conditional on, from If-Match
// and the body's metadata.resourceVersion (0: unconditional).
func ifVersion(r *http.Request, bodyVersion string) (int64, error) {
	var hv, bv int64
	if h := strings.TrimSpace(r.Header.Get("If-Match")); h != "" && h != "*" {
		t := strings.TrimPrefix(h, "W/")
		u, err := strconv.Unquote(t)
		if err != nil {
			u = t
		}
		if hv, err = strconv.ParseInt(u, 10, 64); err != nil || hv <= 0 {
			return 0, &Error{Err: ErrBadRequest, Detail: fmt.Sprintf("If-Match %q is not a resourceVersion", h)}
		}
	}
	if bodyVersion != "" {
		var err error
		if bv, err = strconv.ParseInt(bodyVersion, 10, 64); err != nil || bv <= 0 {
			return 0, &Error{Err: ErrBadRequest, Fields: []FieldError{{Field: "metadata.resourceVersion", Detail: fmt.Sprintf("%q is not a resourceVersion", bodyVersion)}}}
		}
	}
	if hv != 0 && bv != 0 && hv != bv {
		return 0, &Error{Err: ErrBadRequest, Detail: fmt.Sprintf("If-Match %d and metadata.resourceVersion %d differ", hv, bv)}
	}
	return max(hv, bv), nil
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, kind model.Kind) {
	var o model.Object
	if err := decodeBody(w, r, s.cfg.MaxObjectBytes, &o); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := fillEnvelope(&o, kind, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.cfg.Backend.Create(r.Context(), o)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/"+kind.Plural()+"/"+out.Metadata.Name)
	writeJSON(w, http.StatusCreated, &out)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, kind model.Kind, name string, status bool) {
	var o model.Object
	if err := decodeBody(w, r, s.cfg.MaxObjectBytes, &o); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := fillEnvelope(&o, kind, name); err != nil {
		s.fail(w, r, err)
		return
	}
	rev, err := ifVersion(r, o.Metadata.ResourceVersion)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var out model.Object
	if status {
		out, err = s.cfg.Backend.UpdateStatus(r.Context(), o, rev)
	} else {
		out, err = s.cfg.Backend.Update(r.Context(), o, rev)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, &out)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, kind model.Kind, name string) {
	rev, err := ifVersion(r, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.cfg.Backend.Delete(r.Context(), kind, name, rev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, &out)
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request) {
	var req ApplyRequest
	if err := decodeBody(w, r, s.cfg.MaxBatchBytes, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range req.Items {
		o := &req.Items[i]
		if o.APIVersion == "" {
			o.APIVersion = model.APIVersion
		}
		// The kind must be spelt exactly: "host" has the plural of
		// "Host" and would otherwise be stored among the Hosts.
		if k, ok := s.kinds[o.Kind.Plural()]; !ok || k != o.Kind || o.Kind == model.KindEvent || o.APIVersion != model.APIVersion {
			s.fail(w, r, &Error{Err: ErrBadRequest, Kind: o.Kind, Name: o.Metadata.Name,
				Fields: []FieldError{{Field: fmt.Sprintf("items[%d]", i), Detail: fmt.Sprintf("%s %q is not a resource kind this API accepts", o.APIVersion, o.Kind)}}})
			return
		}
	}
	out, rev, err := s.cfg.Backend.Apply(r.Context(), req.Items)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The list's version is the commit's ("0": nothing changed).
	writeJSON(w, http.StatusOK, &List{APIVersion: model.APIVersion, Kind: "List", Items: out,
		Metadata: ListMeta{ResourceVersion: strconv.FormatInt(rev, 10)}})
}

func (s *Server) backup(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="sdnfabric.backup"`)
	if _, err := s.cfg.Backup(r.Context(), w); err != nil {
		// Headers are gone; a truncated body fails the backup's checksum.
		s.log.Error("backup failed", "err", err)
	}
}
