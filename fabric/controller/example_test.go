package controller_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

// Writes are validated against the whole candidate state; a refused
// write leaves the store as it was and is recorded in the event log.
func Example() {
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	defer st.Close()
	c, _ := controller.New(controller.Config{Store: st, Rules: uniqueRules(), Logger: quiet})

	h1, _ := c.Create(ctx, host("host1", "10.0.0.1"))
	fmt.Println(h1.Metadata.Name, "generation", h1.Metadata.Generation, "version", h1.Metadata.ResourceVersion)

	_, err := c.Create(ctx, host("host2", "10.0.0.1"))
	fmt.Println(errors.Is(err, api.ErrInvalid))

	_, err = c.Update(ctx, host("host1", "10.0.0.9"), 99)
	fmt.Println(errors.Is(err, api.ErrConflict))

	events, _, _ := c.List(ctx, model.KindEvent)
	fmt.Println(len(events), "events")
	// Output:
	// host1 generation 1 version 1
	// true
	// true
	// 3 events
}
