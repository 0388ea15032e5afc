package controller

import (
	"errors"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// Rules are the model's rules the controller enforces on every write.
type Rules struct {
	// Allocate fills what o's spec left for the controller to choose
	// (VNIs, VIPs, MACs, SNAT port blocks), given the candidate state,
	// which holds o's current version when o is an update (so an
	// allocation can be kept).
	Allocate func(state []model.Object, o *model.Object) error
	// ValidateObject checks one resource on its own.
	ValidateObject func(o *model.Object) error
	// ValidateState checks a whole candidate state: references,
	// duplicates, overlaps.
	ValidateState func(objs []model.Object) error
}

func (r Rules) withDefaults() (Rules, error) {
	if r.Allocate == nil || r.ValidateObject == nil || r.ValidateState == nil {
		return r, errors.New("controller: Config.Rules must set Allocate, ValidateObject and ValidateState")
	}
	return r, nil
}

// fieldErrors lists the fields at fault in a validation error: each
// error of an errors.Join (recursively).
func fieldErrors(err error) []api.FieldError {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []api.FieldError
		for _, e := range j.Unwrap() {
			out = append(out, fieldErrors(e)...)
		}
		return out
	}
	return []api.FieldError{{Detail: err.Error()}}
}
