// Package provision makes instances from master images and brings them into
// service without a start storm: image and catalog models, the instance
// lifecycle, Windows unattend.xml and cloud-init configuration, a resumable
// setup runner, start jitter and admission control, and load-balancer
// readiness. Backoff follows the full- and decorrelated-jitter schemes; no
// RFC governs this module.
package provision
