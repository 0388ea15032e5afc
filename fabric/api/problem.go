package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// ProblemTypeBase prefixes the type URI of this API's problems
// ("https://sdnfabric.io/problems/conflict").
const ProblemTypeBase = "https://sdnfabric.io/problems/"

// Problem is an RFC 9457 problem details document, with this API's
// extension members.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
	// Extensions.
	Kind            model.Kind   `json:"kind,omitempty"`
	Name            string       `json:"name,omitempty"`
	ResourceVersion string       `json:"resourceVersion,omitempty"`
	Errors          []FieldError `json:"errors,omitempty"`
}

// ProblemFor builds the problem document of err.
func ProblemFor(err error, instance string) *Problem {
	status, slug := statusOf(err)
	p := &Problem{
		Type:     ProblemTypeBase + slug,
		Title:    http.StatusText(status),
		Status:   status,
		Instance: instance,
	}
	var ae *Error
	if errors.As(err, &ae) {
		p.Kind, p.Name, p.ResourceVersion, p.Errors = ae.Kind, ae.Name, ae.ResourceVersion, ae.Fields
		p.Detail = ae.Detail
		if p.Detail == "" && ae.Err != nil {
			p.Detail = ae.Err.Error()
		}
	} else if status != http.StatusInternalServerError {
		p.Detail = err.Error()
	} else {
		// Internal errors go to the log, not to the client.
		p.Detail = "internal error; see the controller log"
	}
	return p
}

// Err turns a decoded problem back into an *Error.
func (p *Problem) Err() error {
	detail := p.Detail
	if detail == "" {
		detail = strings.ToLower(p.Title)
	}
	return &Error{
		Err: sentinelOf(p.Status), Kind: p.Kind, Name: p.Name, Detail: detail,
		Fields: p.Errors, ResourceVersion: p.ResourceVersion, Status: p.Status,
	}
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="sdnfabric"`)
	}
	w.WriteHeader(p.Status)
	b, _ := json.Marshal(p) // a Problem always marshals
	w.Write(append(b, '\n'))
}
