package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// WatchContentType is the media type of a watch stream: one JSON
// WatchEvent per line.
const WatchContentType = "application/x-ndjson"

func (s *Server) watch(w http.ResponseWriter, r *http.Request, kind model.Kind) {
	if n := s.watches.Add(1); n > int64(s.cfg.MaxWatches) {
		s.watches.Add(-1)
		s.fail(w, r, &Error{Err: ErrTooMany, Detail: fmt.Sprintf("more than %d watch streams", s.cfg.MaxWatches)})
		return
	}
	defer s.watches.Add(-1)
	if s.streams != nil {
		g := s.streams.With(string(kind))
		g.Add(1)
		defer g.Add(-1)
	}
	ctx := r.Context()
	var initial []model.Object
	after := int64(0)
	if v := r.URL.Query().Get("resourceVersion"); v != "" && v != "0" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, &Error{Err: ErrBadRequest, Detail: fmt.Sprintf("resourceVersion %q is not a revision", v)})
			return
		}
		after = n
	} else {
		// No version: the current objects first, as ADDED, then changes.
		var err error
		if initial, after, err = s.cfg.Backend.List(ctx, kind); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	events, err := s.cfg.Backend.Watch(ctx, kind, after)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", WatchContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	send := func(ev WatchEvent) bool {
		rc.SetWriteDeadline(time.Now().Add(s.cfg.WatchWriteTimeout))
		if enc.Encode(ev) != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for i := range initial {
		if !send(WatchEvent{Type: WatchAdded, Object: &initial[i]}) {
			return
		}
	}
	if len(initial) == 0 && !send(bookmark(kind, after)) {
		return // the client learns where the stream starts
	}
	tick := time.NewTicker(s.cfg.BookmarkInterval)
	defer tick.Stop()
	last := after
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-tick.C:
			if !send(bookmark(kind, last)) {
				return
			}
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Err != nil {
				p := ProblemFor(ev.Err, r.URL.Path)
				send(WatchEvent{Type: WatchError, Problem: p})
				return
			}
			if ev.Object != nil {
				if n, err := strconv.ParseInt(ev.Object.Metadata.ResourceVersion, 10, 64); err == nil {
					last = n
				}
			}
			if !send(ev) {
				return
			}
		}
	}
}

func bookmark(kind model.Kind, rev int64) WatchEvent {
	return WatchEvent{Type: WatchBookmark, Object: &model.Object{APIVersion: model.APIVersion, Kind: kind,
		Metadata: model.Metadata{ResourceVersion: strconv.FormatInt(rev, 10)}}}
}

// errWatchEnded is an ERROR event without a problem document.
var errWatchEnded = errors.New("watch stream ended by the server")
