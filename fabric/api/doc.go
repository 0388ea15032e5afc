// Package api is the fabric controller's REST API: resources of the
// fabric model under /v1/<plural>[/<name>] with list, get, create (POST),
// update (PUT), delete, a status subresource for agents, a watch stream,
// and an all-or-nothing batch endpoint (POST /v1/apply).
//
// Conventions:
//   - Optimistic concurrency: every resource carries
//     metadata.resourceVersion (the store revision of its last write),
//     also sent as the ETag. PUT, DELETE and the status update take the
//     version the client read, in the body and/or in If-Match; a stale
//     version is refused with 409 Conflict (as Kubernetes does, rather
//     than 412) naming the current version. A write without a version is
//     unconditional.
//   - Errors are RFC 9457 problem details (application/problem+json)
//     with type, title, status, detail, and, for validation errors, the
//     list of fields at fault in the "errors" member.
//   - Authentication is a bearer token (RFC 6750) compared in constant
//     time. Every /v1 request needs it, reads included, because the state
//     describes the whole network and watches hold resources; a Server
//     may allow anonymous reads explicitly. Writes and backups are never
//     anonymous.
//     /metrics and /healthz need no token: they hold counts only.
//   - Watch streams (GET /v1/<plural>?watch=true[&resourceVersion=N]) are
//     newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK,
//     ERROR), as Kubernetes watches are, resumable from the
//     resourceVersion of the last event received.
//
// The HTTP layer is separate from the write path: a Server serves a
// Backend (the controller), which serializes writes and validates every
// candidate state before it reaches the store.
//
// RFC 9457 (problem details), RFC 9110 (ETag, If-Match), RFC 6750 (bearer
// tokens), RFC 5280 and RFC 8446 (the optional self-signed TLS).
package api
