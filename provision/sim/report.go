package sim

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable writes results as a Markdown table.
func WriteTable(w io.Writer, cfg Config, results []Result) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug&0)
	fmt.Fprintf(tw, "| strategy\t| peak in DB\t| overload failures\t| DB calls\t| ready\t| failed\t| p50\t| p99\t| max\t| max / ideal\t|\n")
	fmt.Fprintf(tw, "|---\t|--:\t|--:\t|--:\t|--:\t|--:\t|--:\t|--:\t|--:\t|--:\t|\n")
	for _, r := range results {
		ratio := "-"
		if r.Ready > 0 && r.Ideal > 0 {
			ratio = fmt.Sprintf("%.3fx", float64(r.Max)/float64(r.Ideal))
		}
		fmt.Fprintf(tw, "| %s\t| %d\t| %d\t| %d\t| %d\t| %d\t| %s\t| %s\t| %s\t| %s\t|\n",
			r.Strategy, r.Peak, r.Overloads, r.Calls, r.Ready, r.Failed,
			round(r.P50), round(r.P99), round(r.Max), ratio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "\nN=%d C=%d latency=%v queue=%d refuse=%v max attempts=%d seed=%d; ideal N*latency/C = %v\n",
		cfg.N, cfg.C, cfg.Latency, cfg.Queue, cfg.Refuse, cfg.MaxAttempts, cfg.Seed, cfg.Ideal())
	return err
}

func round(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.Round(10 * time.Millisecond).String()
}

// WriteSVG draws in-flight database requests over time, one panel per
// result, each with its own time axis and a dashed line at capacity C.
// The SVG is written by hand: no dependencies.
func WriteSVG(w io.Writer, cfg Config, results []Result) error {
	const (
		width, panelH = 760, 150
		left, right   = 70, 20
		top, gap      = 30, 50
		plotW         = width - left - right
	)
	height := top + len(results)*(panelH+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="13">Requests in the database over time: N=%d, C=%d, latency %v (ideal %v)</text>`+"\n", left, cfg.N, cfg.C, cfg.Latency, cfg.Ideal())
	for k, r := range results {
		y0 := top + k*(panelH+gap) + 14
		end := r.Max
		if n := len(r.Series); n > 0 {
			end = max(end, r.Series[n-1].At)
		}
		end = max(end, time.Millisecond)
		ymax := max(r.Peak, cfg.C) + 1
		cols := columnMax(r.Series, end, plotW)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", left, y0-4, escape(r.Strategy))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", left, y0, plotW, panelH)
		yc := y0 + panelH - cfg.C*panelH/ymax
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c00" stroke-dasharray="4 3"/><text x="%d" y="%d" fill="#c00" text-anchor="end">C=%d</text>`+"\n",
			left, yc, left+plotW, yc, left-4, yc+4, cfg.C)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%d</text><text x="%d" y="%d" text-anchor="end">0</text>`+"\n", left-4, y0+10, ymax-1, left-4, y0+panelH)
		b.WriteString(`<polyline fill="none" stroke="#1f5fa8" stroke-width="1" points="`)
		for x, v := range cols {
			fmt.Fprintf(&b, "%d,%d ", left+x, y0+panelH-v*panelH/ymax)
		}
		b.WriteString("\"/>\n")
		for i := 0; i <= 4; i++ {
			x := left + i*plotW/4
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%v</text>`+"\n", x, y0+panelH+14, (end * time.Duration(i) / 4).Round(10*time.Millisecond))
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// columnMax reduces a step series to the maximum per pixel column.
func columnMax(s []Sample, end time.Duration, cols int) []int {
	out := make([]int, cols)
	for i, smp := range s {
		next := end
		if i+1 < len(s) {
			next = s[i+1].At
		}
		c0 := int(int64(smp.At) * int64(cols) / int64(end+1))
		c1 := int(int64(next) * int64(cols) / int64(end+1))
		for c := c0; c <= c1 && c < cols; c++ {
			out[c] = max(out[c], smp.InFlight)
		}
	}
	return out
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
