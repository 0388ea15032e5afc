package runtime

import (
	"os"
	"testing"
)

// FuzzFromModelFile feeds arbitrary model files to FromModelFile: it
// returns a topology or an error, and never panics.
func FuzzFromModelFile(f *testing.F) {
	seed, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("kind: ["))
	f.Add([]byte(`{"kind":"LogicalNetwork","name":"x","subnets":[{"name":"a","prefix":"10.0.0.0/24"}]}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		topo, err := FromModelFile("fuzz.yaml", data)
		if err == nil && topo == nil {
			t.Fatal("no topology and no error")
		}
	})
}
