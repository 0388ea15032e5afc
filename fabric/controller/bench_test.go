package controller_test

import (
	"fmt"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

// BenchmarkUpdate measures one validated write against a state of n
// resources: the snapshot (decoded objects cached by revision), the
// whole-state validation and the fenced Apply.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint("resources=", n), func(b *testing.B) {
			st := memstore.New(memstore.Options{})
			defer st.Close()
			c, err := controller.New(controller.Config{Store: st, Rules: uniqueRules(), Logger: quiet, EventLimit: 100})
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			for i := 0; i < n; i += controller.MaxBatch {
				var objs []model.Object
				for j := i; j < min(n, i+controller.MaxBatch); j++ {
					objs = append(objs, host(fmt.Sprint("h", j), fmt.Sprint("u", j)))
				}
				if _, _, err := c.Apply(ctx, objs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := c.Update(ctx, host("h0", fmt.Sprint("v", i)), 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
