package api_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// A stale resourceVersion is a conflict, served as an RFC 9457 problem.
func ExampleProblemFor() {
	err := &api.Error{Err: api.ErrConflict, Kind: model.KindHost, Name: "host1", ResourceVersion: "42",
		Detail: "resourceVersion 40 is stale: the resource is at 42; get it and retry"}
	p := api.ProblemFor(err, "/v1/hosts/host1")
	fmt.Println(p.Status, p.Type)
	fmt.Println(p.Detail)
	back := p.Err()
	fmt.Println(errors.Is(back, api.ErrConflict))
	// Output:
	// 409 https://sdnfabric.io/problems/conflict
	// resourceVersion 40 is stale: the resource is at 42; get it and retry
	// true
}

// The controller's token is generated at first start, mode 0600.
func ExampleLoadOrCreateToken() {
	dir, _ := os.MkdirTemp("", "fabric")
	defer os.RemoveAll(dir)
	tok, _ := api.LoadOrCreateToken(dir)
	again, _ := api.LoadOrCreateToken(dir)
	fi, _ := os.Stat(dir + "/" + api.TokenFile)
	fmt.Println(len(tok), tok == again, fi.Mode().Perm())
	// Output:
	// 43 true -rw-------
}
