package main

import (
	"context"
	"fmt"
	"io"
)

// runDemo is the embedded default job. The full seed topology (ClientVM ->
// NATVM -> BGPVM -> MuxVM -> PortalVM) is not wired yet; this says so.
func runDemo(_ context.Context, out io.Writer) error {
	fmt.Fprintln(out, "sdnfabric: the runnable seed topology is not built yet.")
	return nil
}
