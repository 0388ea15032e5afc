package controller

import (
	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// Rules are the model's rules the controller enforces on every write.
// A nil field means the model's own function (model.Allocate,
// model.ValidateObject, model.ValidateState); tests replace them to
// exercise the write path with simpler rules.
type Rules struct {
	// Allocate fills what o's spec left for the controller to choose
	// (VNIs, VIPs, MACs, SNAT port blocks), given the candidate state,
	// which holds o's current version when o is an update.
	Allocate func(state []model.Object, o *model.Object) error
	// ValidateObject checks one resource on its own.
	ValidateObject func(o *model.Object) error
	// ValidateState checks a whole candidate state: references,
	// duplicates, overlaps.
	ValidateState func(objs []model.Object) error
}

func (r Rules) withDefaults() Rules {
	if r.Allocate == nil {
		r.Allocate = model.Allocate
	}
	if r.ValidateObject == nil {
		r.ValidateObject = model.ValidateObject
	}
	if r.ValidateState == nil {
		r.ValidateState = model.ValidateState
	}
	return r
}

// fieldErrors lists the fields at fault in a validation error: each
// error of an errors.Join (recursively), with the resource and field
// when the error is a *model.ValidationError.
func fieldErrors(err error) []api.FieldError {
	if ve, ok := err.(*model.ValidationError); ok {
		return []api.FieldError{{Resource: string(ve.Kind) + "/" + ve.Name, Field: ve.Field, Detail: ve.Msg}}
	}
	if de, ok := err.(*model.DecodeError); ok {
		return []api.FieldError{{Field: de.Path, Detail: de.Msg}}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []api.FieldError
		for _, e := range j.Unwrap() {
			out = append(out, fieldErrors(e)...)
		}
		return out
	}
	return []api.FieldError{{Detail: err.Error()}}
}
