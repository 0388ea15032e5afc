package jitter_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sdnfabric/sdnfabric/provision/jitter"
)

func Example() {
	now := time.Unix(0, 0)
	r := rand.New(rand.NewPCG(1, 2))

	// The seed's RandomWait: 1 to 300 seconds before the first attempt.
	seed := jitter.Window{Min: time.Second, Max: 300 * time.Second, Rand: r}
	w, _ := seed.Admit(now, 0)
	fmt.Println(w >= time.Second && w <= 300*time.Second)

	// Admission control for a database serving 20 requests of 200ms at a
	// time: one every 10ms, so never more than 20 in flight.
	tb := jitter.NewTokenBucket(200*time.Millisecond/20, 1)
	for i := range 22 {
		w, _ := tb.Admit(now, 0)
		if i >= 19 {
			fmt.Println(i, w)
		}
	}
	// Output:
	// true
	// 19 190ms
	// 20 200ms
	// 21 210ms
}
