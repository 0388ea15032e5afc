package lab_test

import (
	"fmt"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// Each machine of a topology becomes a namespace named after it.
func ExampleNamespaceName() {
	for _, m := range runtime.Seed().Machines {
		fmt.Println(m.Name, "->", lab.NamespaceName(lab.DefaultPrefix, m.Name))
	}
	// Output:
	// ClientVM -> fab-clientvm
	// PortalVM1 -> fab-portalvm1
	// PortalVM2 -> fab-portalvm2
}
