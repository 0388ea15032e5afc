package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// Sentinel errors of the API; each maps to one HTTP status.
var (
	ErrBadRequest   = errors.New("bad request")            // 400
	ErrUnauthorized = errors.New("unauthorized")           // 401
	ErrNotFound     = errors.New("not found")              // 404
	ErrNotAllowed   = errors.New("method not allowed")     // 405
	ErrConflict     = errors.New("conflict")               // 409
	ErrGone         = errors.New("gone")                   // 410: watch history compacted
	ErrTooLarge     = errors.New("request body too large") // 413
	ErrInvalid      = errors.New("invalid resource")       // 422
	ErrTooMany      = errors.New("too many requests")      // 429
	ErrUnavailable  = errors.New("unavailable")            // 503
)

// FieldError is one field at fault in a validation error.
type FieldError struct {
	// Resource is "<Kind>/<name>" of the resource at fault, which for a
	// cross-resource error or a batch need not be the one written.
	Resource string `json:"resource,omitempty"`
	// Field is the JSON path of the field ("spec.subnets[1].prefix").
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail"`
}

// Error is the typed error of the API, on both sides: a Backend returns
// it and the Client decodes it from a problem document.
type Error struct {
	Err  error // one of the sentinels (errors.Is)
	Kind model.Kind
	Name string
	// Detail explains this occurrence.
	Detail string
	// Fields lists the fields at fault of a validation error.
	Fields []FieldError
	// ResourceVersion is the current version on a conflict ("" when the
	// resource does not exist).
	ResourceVersion string
	// Status is the HTTP status when decoded by the Client.
	Status int
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if e.Kind != "" || e.Name != "" {
		fmt.Fprintf(&b, ": %s/%s", e.Kind, e.Name)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	for _, f := range e.Fields {
		b.WriteString("\n  ")
		if f.Resource != "" {
			b.WriteString(f.Resource)
			b.WriteString(" ")
		}
		if f.Field != "" {
			b.WriteString(f.Field)
			b.WriteString(": ")
		}
		b.WriteString(f.Detail)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// statusOf maps an error to its HTTP status and problem type slug.
func statusOf(err error) (int, string) {
	switch {
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, "bad-request"
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, "unauthorized"
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "not-found"
	case errors.Is(err, ErrNotAllowed):
		return http.StatusMethodNotAllowed, "method-not-allowed"
	case errors.Is(err, ErrConflict):
		return http.StatusConflict, "conflict"
	case errors.Is(err, ErrGone):
		return http.StatusGone, "gone"
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "too-large"
	case errors.Is(err, ErrInvalid):
		return http.StatusUnprocessableEntity, "invalid"
	case errors.Is(err, ErrTooMany):
		return http.StatusTooManyRequests, "too-many-requests"
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable, "unavailable"
	}
	return http.StatusInternalServerError, "internal"
}

// sentinelOf is the inverse of statusOf, for the Client.
func sentinelOf(status int) error {
	switch status {
	case http.StatusBadRequest:
		return ErrBadRequest
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusMethodNotAllowed:
		return ErrNotAllowed
	case http.StatusConflict, http.StatusPreconditionFailed:
		return ErrConflict
	case http.StatusGone:
		return ErrGone
	case http.StatusRequestEntityTooLarge:
		return ErrTooLarge
	case http.StatusUnprocessableEntity:
		return ErrInvalid
	case http.StatusTooManyRequests:
		return ErrTooMany
	case http.StatusServiceUnavailable:
		return ErrUnavailable
	}
	return fmt.Errorf("HTTP %d", status)
}
