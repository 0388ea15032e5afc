package api

import (
	"context"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// Backend is what a Server serves: the controller. Reads come from the
// store; writes are serialized, allocated and validated by the Backend.
// Errors are *Error values (or wrap one of this package's sentinels).
//
// For List and Watch, kind "" is the whole desired state (every kind but
// events): one consistent snapshot and one stream in revision order, as
// the agents read it (/v1/state).
type Backend interface {
	Get(ctx context.Context, kind model.Kind, name string) (model.Object, error)
	// List returns the kind's resources sorted by name and the revision
	// of the snapshot.
	List(ctx context.Context, kind model.Kind) ([]model.Object, int64, error)
	// Watch streams the kind's changes after afterRevision until ctx
	// ends. A final event with Err set ends the stream abnormally.
	Watch(ctx context.Context, kind model.Kind, afterRevision int64) (<-chan WatchEvent, error)

	// Create adds a new resource; it is an ErrConflict if it exists.
	Create(ctx context.Context, o model.Object) (model.Object, error)
	// Update replaces a resource's spec (and labels and annotations),
	// keeping its status. ifVersion is the revision the client read,
	// or 0 for an unconditional update.
	Update(ctx context.Context, o model.Object, ifVersion int64) (model.Object, error)
	// UpdateStatus replaces a resource's status, keeping its spec.
	UpdateStatus(ctx context.Context, o model.Object, ifVersion int64) (model.Object, error)
	// Delete removes a resource and returns it as it was.
	Delete(ctx context.Context, kind model.Kind, name string, ifVersion int64) (model.Object, error)
	// Apply creates or updates every object all-or-nothing. An object
	// with metadata.resourceVersion set is updated only from that
	// version. It returns the objects and the revision of the commit
	// (0 when no object changed): the objects carrying that version were
	// written, the others were already as asked.
	Apply(ctx context.Context, objs []model.Object) ([]model.Object, int64, error)
}

// WatchEventType is the type of a watch event.
type WatchEventType string

// Watch event types, as Kubernetes names them.
const (
	WatchAdded    WatchEventType = "ADDED"
	WatchModified WatchEventType = "MODIFIED"
	WatchDeleted  WatchEventType = "DELETED"
	// WatchBookmark carries only metadata.resourceVersion: the stream is at
	// that revision (sent periodically so a client can resume).
	WatchBookmark WatchEventType = "BOOKMARK"
	// WatchError ends a stream: Object is absent and Problem says why (a
	// compacted or too slow watch: list again and watch from there).
	WatchError WatchEventType = "ERROR"
)

// WatchEvent is one line of a watch stream. For WatchDeleted, Object has the
// kind, name and the revision of the delete only.
type WatchEvent struct {
	Type    WatchEventType `json:"type"`
	Object  *model.Object  `json:"object,omitempty"`
	Problem *Problem       `json:"error,omitempty"`
	// Err is set by a Backend on the final event of an abnormal end; the
	// Server turns it into Problem.
	Err error `json:"-"`
}

// List is the body of a list response.
type List struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"` // "<Kind>List"
	Metadata   ListMeta       `json:"metadata"`
	Items      []model.Object `json:"items"`
}

// ListMeta is the metadata of a list: the revision its snapshot was taken
// at, to watch from.
type ListMeta struct {
	ResourceVersion string `json:"resourceVersion"`
}

// ApplyRequest is the body of POST /v1/apply.
type ApplyRequest struct {
	Items []model.Object `json:"items"`
}
