// Package peerbench compares package maglev with cilium's pkg/maglev in
// the same benchmark run: table build time, lookup, and disruption when
// one backend leaves. It is a separate module so that the slb module
// never depends on cilium; run it with GOWORK=off (see README.md).
package peerbench
