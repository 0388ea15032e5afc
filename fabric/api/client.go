package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// maxResponseBytes bounds a non-streaming response body the Client reads.
const maxResponseBytes = 64 << 20

// maxWatchLine bounds one watch event line.
const maxWatchLine = DefaultMaxObjectBytes + 4<<10

// Client is a client of the REST API. It implements Backend, so code
// written against a Backend runs in process or over the network alike.
type Client struct {
	// Server is the base URL ("https://127.0.0.1:8443").
	Server string
	Token  string
	// HTTP is the client used (default: one trusting TLS per NewClient).
	HTTP *http.Client
}

var _ Backend = (*Client)(nil)

// NewClient returns a Client of server; tlsConfig (nil: the system
// roots) is used for https URLs.
func NewClient(server, token string, tlsConfig *tls.Config) (*Client, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: server %q is not an http(s) URL", server)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConfig
	// A controller that accepts the connection but never answers fails
	// the request instead of hanging it; watch bodies may idle forever.
	tr.ResponseHeaderTimeout = 30 * time.Second
	return &Client{Server: strings.TrimRight(server, "/"), Token: token, HTTP: &http.Client{Transport: tr}}, nil
}

func (c *Client) do(ctx context.Context, method, path string, header http.Header, body, out any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, &Error{Err: ErrUnavailable, Detail: err.Error()}
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, decodeProblem(resp)
	}
	if out == nil {
		return resp, nil // the caller reads and closes the body
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBytes)).Decode(out); err != nil {
		return nil, fmt.Errorf("api: %s %s: decoding the response: %w", method, path, err)
	}
	return resp, nil
}

// decodeProblem reads an error response, a problem document or not.
func decodeProblem(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var p Problem
	if mt == ProblemContentType && json.Unmarshal(b, &p) == nil && p.Status != 0 {
		return p.Err()
	}
	return &Error{Err: sentinelOf(resp.StatusCode), Status: resp.StatusCode, Detail: strings.TrimSpace(string(b))}
}

// collectionPath is /v1/<plural>, or /v1/state for kind "".
func collectionPath(kind model.Kind) string {
	if kind == "" {
		return "/v1/" + StatePath
	}
	return "/v1/" + kind.Plural()
}

func objectPath(kind model.Kind, name string) string {
	return "/v1/" + kind.Plural() + "/" + url.PathEscape(name)
}

func ifMatch(v int64) http.Header {
	if v == 0 {
		return nil
	}
	return http.Header{"If-Match": {strconv.Quote(strconv.FormatInt(v, 10))}}
}

// Get returns one resource.
func (c *Client) Get(ctx context.Context, kind model.Kind, name string) (model.Object, error) {
	var o model.Object
	_, err := c.do(ctx, http.MethodGet, objectPath(kind, name), nil, nil, &o)
	return o, err
}

// List returns the kind's resources and the list's revision; kind ""
// lists the whole desired state.
func (c *Client) List(ctx context.Context, kind model.Kind) ([]model.Object, int64, error) {
	var l List
	if _, err := c.do(ctx, http.MethodGet, collectionPath(kind), nil, nil, &l); err != nil {
		return nil, 0, err
	}
	rev, _ := strconv.ParseInt(l.Metadata.ResourceVersion, 10, 64)
	return l.Items, rev, nil
}

// Create adds a resource.
func (c *Client) Create(ctx context.Context, o model.Object) (model.Object, error) {
	var out model.Object
	_, err := c.do(ctx, http.MethodPost, "/v1/"+o.Kind.Plural(), nil, o, &out)
	return out, err
}

// Update replaces a resource's spec; ifVersion 0 is unconditional.
func (c *Client) Update(ctx context.Context, o model.Object, ifVersion int64) (model.Object, error) {
	var out model.Object
	_, err := c.do(ctx, http.MethodPut, objectPath(o.Kind, o.Metadata.Name), ifMatch(ifVersion), o, &out)
	return out, err
}

// UpdateStatus replaces a resource's status.
func (c *Client) UpdateStatus(ctx context.Context, o model.Object, ifVersion int64) (model.Object, error) {
	var out model.Object
	_, err := c.do(ctx, http.MethodPut, objectPath(o.Kind, o.Metadata.Name)+"/status", ifMatch(ifVersion), o, &out)
	return out, err
}

// Delete removes a resource.
func (c *Client) Delete(ctx context.Context, kind model.Kind, name string, ifVersion int64) (model.Object, error) {
	var out model.Object
	_, err := c.do(ctx, http.MethodDelete, objectPath(kind, name), ifMatch(ifVersion), nil, &out)
	return out, err
}

// Apply creates or updates objs all-or-nothing.
func (c *Client) Apply(ctx context.Context, objs []model.Object) ([]model.Object, int64, error) {
	var l List
	if _, err := c.do(ctx, http.MethodPost, "/v1/apply", nil, ApplyRequest{Items: objs}, &l); err != nil {
		return nil, 0, err
	}
	rev, _ := strconv.ParseInt(l.Metadata.ResourceVersion, 10, 64)
	return l.Items, rev, nil
}

// Backup writes a backup of the whole store to w.
func (c *Client) Backup(ctx context.Context, w io.Writer) error {
	resp, err := c.do(ctx, http.MethodGet, "/v1/backup", nil, nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

// Watch streams the kind's changes after afterRevision (0: the current
// objects as WatchAdded first). The channel closes when ctx ends or the
// server ends the stream; an abnormal end is a final event with Err set.
func (c *Client) Watch(ctx context.Context, kind model.Kind, afterRevision int64) (<-chan WatchEvent, error) {
	q := collectionPath(kind) + "?watch=true"
	if afterRevision > 0 {
		q += "&resourceVersion=" + strconv.FormatInt(afterRevision, 10)
	}
	resp, err := c.do(ctx, http.MethodGet, q, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	out := make(chan WatchEvent)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		readWatch(ctx, resp.Body, out)
	}()
	return out, nil
}

// readWatch decodes a watch stream's lines into out until the stream
// ends, an ERROR event, or ctx ends. A line that is not an event ends the
// stream with an ERROR event saying so; lines are bounded.
func readWatch(ctx context.Context, body io.Reader, out chan<- WatchEvent) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), maxWatchLine)
	for sc.Scan() {
		var ev WatchEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			ev = WatchEvent{Type: WatchError, Err: fmt.Errorf("api: watch: bad event: %w", err)}
		} else if ev.Type == WatchError {
			ev.Err = errWatchEnded
			if ev.Problem != nil {
				ev.Err = ev.Problem.Err()
			}
		} else if ev.Object == nil {
			ev = WatchEvent{Type: WatchError, Err: fmt.Errorf("api: watch: %s event without an object", ev.Type)}
		}
		select {
		case out <- ev:
		case <-ctx.Done():
			return
		}
		if ev.Type == WatchError {
			return
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		select {
		case out <- WatchEvent{Type: WatchError, Err: fmt.Errorf("api: watch: %w", err)}:
		case <-ctx.Done():
		}
	}
}
