// Package metrics is a small Prometheus registry for the fabric controller
// and agents: counters and gauges with labels, gauges computed at scrape
// time, and the Prometheus text exposition format 0.0.4 served on
// /metrics.
//
// It is written against the format's specification rather than imported
// from client_golang: the controller needs a handful of counters and
// gauges, and client_golang would bring prometheus/common, procfs and
// protobuf into every program that imports the fabric module. Names and
// label names are checked at registration; label values and help text
// are escaped as the format requires.
//
// Counter.Inc, Counter.Add, Gauge.Set, Gauge.Add and CounterVec.With on an
// existing label set allocate nothing, so callers may look children up per
// request.
package metrics
