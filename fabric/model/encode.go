package model

import (
	"encoding/json"
	"fmt"
	"io"
)

// EncodeJSON writes objs as an indented JSON array (one object when objs
// has exactly one), the form DecodeJSON reads.
func EncodeJSON(w io.Writer, objs []Object) error {
	var v any = objs
	if len(objs) == 1 {
		v = &objs[0]
	} else if objs == nil {
		v = []Object{}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("model: encoding JSON: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
