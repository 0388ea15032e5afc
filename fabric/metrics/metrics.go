package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Registry holds metric families and writes them in registration order.
// The zero value is not usable; call NewRegistry.
type Registry struct {
	mu       sync.Mutex
	families []family
	names    map[string]bool
}

// family is one metric family the registry writes.
type family interface {
	write(w *bufio.Writer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{names: make(map[string]bool)} }

// register checks a family's names and adds it. Invalid or duplicate names
// are programming errors: register panics, as a metric registered under a
// wrong name would otherwise silently never be scraped.
func (r *Registry) register(name string, labels []string, f family) {
	if !validMetricName(name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
	for i, l := range labels {
		if !validLabelName(l) || slices.Contains(labels[:i], l) {
			panic(fmt.Sprintf("metrics: invalid or repeated label name %q of %s", l, name))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names[name] {
		panic(fmt.Sprintf("metrics: %s registered twice", name))
	}
	r.names[name] = true
	r.families = append(r.families, f)
}

// WriteText writes every family in the text exposition format.
func (r *Registry) WriteText(w io.Writer) error {
	r.mu.Lock()
	fams := slices.Clone(r.families)
	r.mu.Unlock()
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		f.write(bw)
	}
	return bw.Flush()
}

// ServeHTTP serves the registry on GET (and HEAD).
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	if req.Method == http.MethodHead {
		return
	}
	_ = r.WriteText(w) // a failed write is the scraper going away
}

// Counter is a monotonically increasing count.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value returns the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

// Gauge is a value that goes up and down.
type Gauge struct{ bits atomic.Uint64 }

// Set sets the gauge to v.
func (g *Gauge) Set(v float64) { g.bits.Store(math.Float64bits(v)) }

// Add adds d (which may be negative).
func (g *Gauge) Add(d float64) {
	for {
		old := g.bits.Load()
		if g.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// Value returns the gauge's value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.bits.Load()) }

// vec is the labelled children of one family, keyed by their label values
// joined with a 0xff byte (which UTF-8 label values cannot hold).
type vec[T any] struct {
	name, help, typ string
	labels          []string
	mu              sync.RWMutex
	children        map[string]*child[T]
}

type child[T any] struct {
	values []string
	m      T
}

func newVec[T any](name, help, typ string, labels []string) *vec[T] {
	return &vec[T]{name: name, help: help, typ: typ, labels: slices.Clone(labels), children: make(map[string]*child[T])}
}

// with returns the child for values, creating it on first use. Looking up
// an existing child allocates nothing for keys up to 256 bytes.
func (v *vec[T]) with(values []string) *T {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", v.name, len(v.labels), len(values)))
	}
	var buf [256]byte
	key := buf[:0]
	for i, s := range values {
		if i > 0 {
			key = append(key, 0xff)
		}
		key = append(key, s...)
	}
	v.mu.RLock()
	c := v.children[string(key)]
	v.mu.RUnlock()
	if c != nil {
		return &c.m
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if c = v.children[string(key)]; c == nil {
		c = &child[T]{values: slices.Clone(values)}
		v.children[string(key)] = c
	}
	return &c.m
}

// sorted returns the children ordered by label values, so scrapes are
// deterministic.
func (v *vec[T]) sorted() []*child[T] {
	v.mu.RLock()
	cs := make([]*child[T], 0, len(v.children))
	for _, c := range v.children {
		cs = append(cs, c)
	}
	v.mu.RUnlock()
	slices.SortFunc(cs, func(a, b *child[T]) int { return slices.Compare(a.values, b.values) })
	return cs
}

func (v *vec[T]) header(w *bufio.Writer) {
	writeHeader(w, v.name, v.help, v.typ)
}

// CounterVec is a family of counters with the same label names.
type CounterVec struct{ v *vec[Counter] }

// NewCounter registers a counter family.
func (r *Registry) NewCounter(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{newVec[Counter](name, help, "counter", labels)}
	r.register(name, labels, c)
	return c
}

// With returns the counter with these label values (in the order of the
// label names), creating it at zero on first use.
func (c *CounterVec) With(values ...string) *Counter { return c.v.with(values) }

func (c *CounterVec) write(w *bufio.Writer) {
	c.v.header(w)
	for _, ch := range c.v.sorted() {
		writeSample(w, c.v.name, c.v.labels, ch.values, float64(ch.m.Value()))
	}
}

// GaugeVec is a family of gauges with the same label names.
type GaugeVec struct{ v *vec[Gauge] }

// NewGauge registers a gauge family.
func (r *Registry) NewGauge(name, help string, labels ...string) *GaugeVec {
	g := &GaugeVec{newVec[Gauge](name, help, "gauge", labels)}
	r.register(name, labels, g)
	return g
}

// With returns the gauge with these label values, creating it at zero on
// first use.
func (g *GaugeVec) With(values ...string) *Gauge { return g.v.with(values) }

func (g *GaugeVec) write(w *bufio.Writer) {
	g.v.header(w)
	for _, ch := range g.v.sorted() {
		writeSample(w, g.v.name, g.v.labels, ch.values, ch.m.Value())
	}
}

// Sample is one value of a gauge computed at scrape time.
type Sample struct {
	Values []string // label values, in the order of the label names
	Value  float64
}

type gaugeFunc struct {
	name, help string
	labels     []string
	fn         func() []Sample
}

// NewGaugeFunc registers a gauge family whose samples fn computes at each
// scrape (resources per kind, open watch streams). Samples with the wrong
// number of label values are skipped.
func (r *Registry) NewGaugeFunc(name, help string, fn func() []Sample, labels ...string) {
	r.register(name, labels, &gaugeFunc{name, help, slices.Clone(labels), fn})
}

func (g *gaugeFunc) write(w *bufio.Writer) {
	writeHeader(w, g.name, g.help, "gauge")
	samples := g.fn()
	slices.SortFunc(samples, func(a, b Sample) int { return slices.Compare(a.Values, b.Values) })
	for _, s := range samples {
		if len(s.Values) == len(g.labels) {
			writeSample(w, g.name, g.labels, s.Values, s.Value)
		}
	}
}

func writeHeader(w *bufio.Writer, name, help, typ string) {
	w.WriteString("# HELP ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(escape(help, false))
	w.WriteString("\n# TYPE ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(typ)
	w.WriteByte('\n')
}

func writeSample(w *bufio.Writer, name string, labels, values []string, v float64) {
	w.WriteString(name)
	if len(labels) > 0 {
		w.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(l)
			w.WriteString(`="`)
			w.WriteString(escape(values[i], true))
			w.WriteByte('"')
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatValue(v))
	w.WriteByte('\n')
}

// formatValue writes a sample value as the format spells it.
func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// escape escapes backslash and newline (help text) and also the double
// quote (label values).
func escape(s string, quote bool) string {
	if !strings.ContainsAny(s, "\\\n\"") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '"' && quote:
			b.WriteString(`\"`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// validMetricName reports whether s matches [a-zA-Z_:][a-zA-Z0-9_:]*.
func validMetricName(s string) bool {
	return validName(s, true)
}

// validLabelName reports whether s matches [a-zA-Z_][a-zA-Z0-9_]* and does
// not start with the reserved "__".
func validLabelName(s string) bool {
	return validName(s, false) && !strings.HasPrefix(s, "__")
}

func validName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || colon && c == ':' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return false
		}
	}
	return true
}
