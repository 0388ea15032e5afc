package runtime

import "testing"

func TestSeedLoadBalancersValidate(t *testing.T) {
	for _, lb := range Seed().LoadBalancers {
		if err := lb.Validate(); err != nil {
			t.Errorf("%s: %v", lb.Name, err)
		}
	}
}
