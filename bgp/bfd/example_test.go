package bfd_test

import (
	"fmt"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/bfd"
)

// Two sessions exchange control packets over a perfect link in virtual
// time: both come Up, then one goes silent and the other detects it.
func ExampleSession() {
	a := bfd.NewSession(bfd.Config{}, 1, 1)
	b := bfd.NewSession(bfd.Config{}, 2, 2)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	silent := false
	run := func(d time.Duration) {
		for end := now.Add(d); now.Before(end); now = now.Add(10 * time.Millisecond) {
			if p, ok, c := a.Poll(now); ok && !silent {
				b.Receive(p, now)
			} else if c != nil {
				fmt.Printf("a: %v -> %v (%v)\n", c.Old, c.New, c.Diag)
			}
			if p, ok, _ := b.Poll(now); ok && !silent {
				if c := a.Receive(p, now); c != nil {
					fmt.Printf("a: %v -> %v\n", c.Old, c.New)
				}
			}
		}
	}
	run(2 * time.Second)
	silent = true
	run(2 * time.Second)
	// Output:
	// a: Down -> Up
	// a: Up -> Down (control detection time expired)
}
