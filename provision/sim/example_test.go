package sim_test

import (
	"fmt"
	"time"

	"github.com/sdnfabric/sdnfabric/provision/sim"
)

func Example() {
	cfg := sim.Config{N: 1000, C: 20, Latency: 200 * time.Millisecond, Seed: 1}
	for _, s := range []sim.Strategy{sim.NoWait(), sim.Semaphore(cfg)} {
		r, _ := sim.Run(cfg, s)
		fmt.Printf("%s: peak %d, overloads %d, ready %d, max %v (ideal %v)\n",
			r.Strategy, r.Peak, r.Overloads, r.Ready, r.Max, r.Ideal)
	}
	// Output:
	// no wait: peak 1000, overloads 16180, ready 380, max 2m12.995s (ideal 10s)
	// admission: semaphore: peak 20, overloads 0, ready 1000, max 10s (ideal 10s)
}
