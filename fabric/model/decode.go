package model

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Limits of the decoders (ours).
const (
	// MaxFileBytes bounds a file given to Decode.
	MaxFileBytes = 8 << 20
	// MaxObjects bounds the resources of one file.
	MaxObjects = 10000
	// MaxDepth bounds the nesting of a document.
	MaxDepth = 64
)

// Sentinel errors wrapped by *DecodeError.
var (
	ErrSyntax       = errors.New("malformed document")
	ErrTooLarge     = errors.New("input too large")
	ErrUnknownField = errors.New("unknown field")
	ErrType         = errors.New("value of the wrong type")
	ErrUnknownKind  = errors.New("unknown kind")
	ErrAPIVersion   = errors.New("unsupported apiVersion")
)

// A DecodeError is a problem in a file of resources: which document (the
// first is 1), where (a YAML line when known, a JSON byte offset
// otherwise), the field path ("spec.subnets[0].gateway") and what was
// wrong. It wraps one of the sentinel errors.
type DecodeError struct {
	Doc    int
	Line   int   // 1-based; 0 when unknown
	Offset int64 // byte offset in a JSON document; -1 when unknown
	Path   string
	Msg    string
	Err    error
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("model: ")
	if e.Doc > 0 {
		fmt.Fprintf(&b, "document %d: ", e.Doc)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	} else if e.Offset >= 0 {
		fmt.Fprintf(&b, "offset %d: ", e.Offset)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode reads a file of resources: JSON (one object, an array of
// objects, or a stream of them) when the first non-blank byte is '{' or
// '[' and it parses as JSON, YAML (one object per document, "---"
// between them) otherwise.
// Decoding is strict: an unknown field, a value of the wrong type, an
// unknown kind or apiVersion is a *DecodeError naming the field path.
// Each Spec and Status is decoded into its kind's type and stored in its
// canonical JSON form. Decode does not validate (see ValidateObject).
func Decode(data []byte) ([]Object, error) {
	if len(data) > MaxFileBytes {
		return nil, &DecodeError{Offset: -1, Msg: fmt.Sprintf("%d bytes, more than %d", len(data), MaxFileBytes), Err: ErrTooLarge}
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		objs, err := DecodeJSON(data)
		if errors.Is(err, ErrSyntax) {
			// YAML in flow style also starts with '{' or '['.
			if yobjs, yerr := DecodeYAML(data); yerr == nil {
				return yobjs, nil
			}
		}
		return objs, err
	}
	return DecodeYAML(data)
}

// ReadFile reads at most MaxFileBytes from r and decodes them as Decode
// does.
func ReadFile(r io.Reader) ([]Object, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	return Decode(data)
}

// DecodeJSON decodes one JSON object, an array of objects, or a stream of
// either.
func DecodeJSON(data []byte) ([]Object, error) {
	if len(data) > MaxFileBytes {
		return nil, &DecodeError{Offset: -1, Msg: fmt.Sprintf("%d bytes, more than %d", len(data), MaxFileBytes), Err: ErrTooLarge}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var objs []Object
	for doc := 1; ; doc++ {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return objs, nil
		} else if err != nil {
			return nil, jsonSyntaxError(doc, start, err)
		}
		if err := checkDepth(raw); err != nil {
			return nil, &DecodeError{Doc: doc, Offset: start, Msg: err.Error(), Err: ErrTooLarge}
		}
		var err error
		if objs, err = appendDocument(objs, raw, doc, start, nil); err != nil {
			return nil, err
		}
	}
}

func jsonSyntaxError(doc int, start int64, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &DecodeError{Doc: doc, Offset: start + se.Offset, Msg: se.Error(), Err: ErrSyntax}
	}
	return &DecodeError{Doc: doc, Offset: start, Msg: err.Error(), Err: ErrSyntax}
}

// checkDepth refuses JSON nested deeper than MaxDepth.
func checkDepth(raw []byte) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > MaxDepth {
				return fmt.Errorf("nested deeper than %d", MaxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// appendDocument decodes one document, an object or an array of objects,
// and appends its objects to objs. lines maps field paths to YAML lines.
func appendDocument(objs []Object, raw json.RawMessage, doc int, offset int64, lines map[string]int) ([]Object, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, &DecodeError{Doc: doc, Offset: offset, Msg: err.Error(), Err: ErrSyntax}
		}
		for i, item := range items {
			o, err := decodeObject(item, doc, offset, fmt.Sprintf("[%d]", i), lines)
			if err != nil {
				return nil, err
			}
			if objs = append(objs, o); len(objs) > MaxObjects {
				return nil, &DecodeError{Doc: doc, Offset: offset, Msg: fmt.Sprintf("more than %d resources", MaxObjects), Err: ErrTooLarge}
			}
		}
		return objs, nil
	}
	o, err := decodeObject(raw, doc, offset, "", lines)
	if err != nil {
		return nil, err
	}
	if objs = append(objs, o); len(objs) > MaxObjects {
		return nil, &DecodeError{Doc: doc, Offset: offset, Msg: fmt.Sprintf("more than %d resources", MaxObjects), Err: ErrTooLarge}
	}
	return objs, nil
}

// decodeObject decodes one resource strictly: the envelope, then its
// spec and status into the kind's types.
func decodeObject(raw []byte, doc int, offset int64, prefix string, lines map[string]int) (Object, error) {
	fail := func(path string, p *strictProblem) error {
		return &DecodeError{Doc: doc, Line: lineOf(lines, path), Offset: offset, Path: path, Msg: p.msg, Err: p.err}
	}
	var o Object
	if p := decodeExact(raw, &o, prefix); p != nil {
		return Object{}, fail(p.path, p)
	}
	join := func(field string) string {
		if prefix == "" {
			return field
		}
		return prefix + "." + field
	}
	if o.APIVersion != APIVersion {
		return Object{}, fail(join("apiVersion"), &strictProblem{msg: fmt.Sprintf("%q is not %q", o.APIVersion, APIVersion), err: ErrAPIVersion})
	}
	spec, status := NewSpec(o.Kind), NewStatus(o.Kind)
	if spec == nil {
		return Object{}, fail(join("kind"), &strictProblem{msg: fmt.Sprintf("%q is not one of %v", o.Kind, Kinds()), err: ErrUnknownKind})
	}
	var err error
	if o.Spec, err = canonical(o.Spec, spec, join("spec")); err != nil {
		return Object{}, fail(err.(*strictProblem).path, err.(*strictProblem))
	}
	if len(o.Status) > 0 {
		if status == nil {
			return Object{}, fail(join("status"), &strictProblem{msg: fmt.Sprintf("kind %s has no status", o.Kind), err: ErrUnknownField})
		}
		if o.Status, err = canonical(o.Status, status, join("status")); err != nil {
			return Object{}, fail(err.(*strictProblem).path, err.(*strictProblem))
		}
	}
	return o, nil
}

// canonical decodes raw strictly into v and returns v's JSON form; null
// and absent stay absent.
func canonical(raw json.RawMessage, v any, path string) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if p := decodeExact(raw, v, path); p != nil {
		return nil, p
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &strictProblem{path: path, msg: err.Error(), err: ErrType}
	}
	return b, nil
}

// DecodeSpec decodes o.Spec strictly into the kind's spec type and
// returns it (a *HostSpec for a Host, ...). An absent spec gives the
// zero spec.
func (o *Object) DecodeSpec() (Spec, error) {
	spec := NewSpec(o.Kind)
	if spec == nil {
		return nil, &DecodeError{Offset: -1, Path: "kind", Msg: fmt.Sprintf("%q is not a kind", o.Kind), Err: ErrUnknownKind}
	}
	if len(o.Spec) == 0 {
		return spec, nil
	}
	if p := decodeStrict(o.Spec, spec, "spec"); p != nil {
		return nil, &DecodeError{Offset: -1, Path: p.path, Msg: p.msg, Err: p.err}
	}
	return spec, nil
}

// A strictProblem is the first thing wrong in a document that
// decodeStrict finds.
type strictProblem struct {
	path, msg string
	err       error
}

func (p *strictProblem) Error() string { return p.path + ": " + p.msg }

// decodeStrict decodes raw into v, refusing unknown fields and trailing
// data. On failure it walks the document against v's type to name the
// path of the first problem, which encoding/json does not tell for an
// unknown field or a value its TextUnmarshaler refuses.
func decodeStrict(raw []byte, v any, path string) *strictProblem {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return &strictProblem{path: path, msg: "data after the value", err: ErrSyntax}
		}
		return nil
	}
	var generic any
	gdec := json.NewDecoder(bytes.NewReader(raw))
	gdec.UseNumber()
	if gerr := gdec.Decode(&generic); gerr != nil {
		return &strictProblem{path: path, msg: gerr.Error(), err: ErrSyntax}
	}
	if p := walk(generic, reflect.TypeOf(v), path); p != nil {
		return p
	}
	return &strictProblem{path: path, msg: err.Error(), err: ErrType}
}

// decodeExact is decodeStrict for documents from outside: field names
// must also match in case, which encoding/json does not require ("Spec"
// would fill spec).
func decodeExact(raw []byte, v any, path string) *strictProblem {
	if p := decodeStrict(raw, v, path); p != nil {
		return p
	}
	var generic any
	gdec := json.NewDecoder(bytes.NewReader(raw))
	gdec.UseNumber()
	if err := gdec.Decode(&generic); err != nil {
		return &strictProblem{path: path, msg: err.Error(), err: ErrSyntax}
	}
	return walk(generic, reflect.TypeOf(v), path)
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
var rawMessage = reflect.TypeFor[json.RawMessage]()

// walk finds the first value of doc that does not fit t.
func walk(doc any, t reflect.Type, path string) *strictProblem {
	for t.Kind() == reflect.Pointer {
		if doc == nil {
			return nil
		}
		t = t.Elem()
	}
	if doc == nil || t == rawMessage || t.Kind() == reflect.Interface {
		return nil
	}
	wrong := func(want string) *strictProblem {
		return &strictProblem{path: path, msg: fmt.Sprintf("%s is not %s", describe(doc), want), err: ErrType}
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		s, ok := doc.(string)
		if !ok {
			return wrong("a string")
		}
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return &strictProblem{path: path, msg: err.Error(), err: ErrType}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := doc.(map[string]any)
		if !ok {
			return wrong("an object")
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			f, ok := fields[k]
			if !ok {
				for name := range fields {
					if strings.EqualFold(name, k) {
						return &strictProblem{path: joinPath(path, k), msg: fmt.Sprintf("unknown field (field names are case-sensitive: %q)", name), err: ErrUnknownField}
					}
				}
				return &strictProblem{path: joinPath(path, k), msg: "unknown field", err: ErrUnknownField}
			}
			if p := walk(m[k], f.Type, joinPath(path, k)); p != nil {
				return p
			}
		}
	case reflect.Map:
		m, ok := doc.(map[string]any)
		if !ok {
			return wrong("an object")
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if p := walk(m[k], t.Elem(), joinPath(path, k)); p != nil {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		s, ok := doc.([]any)
		if !ok {
			return wrong("an array")
		}
		for i, e := range s {
			if p := walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != nil {
				return p
			}
		}
	case reflect.String:
		switch doc.(type) {
		case string:
		case json.Number, bool:
			return wrong("a string (in YAML, quote it)")
		default:
			return wrong("a string")
		}
	case reflect.Bool:
		if _, ok := doc.(bool); !ok {
			return wrong("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := doc.(json.Number)
		if !ok {
			return wrong("an integer")
		}
		if _, err := strconv.ParseInt(n.String(), 10, t.Bits()); err != nil {
			return &strictProblem{path: path, msg: fmt.Sprintf("%s is not an integer of %d bits", n, t.Bits()), err: ErrType}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := doc.(json.Number)
		if !ok {
			return wrong("an integer")
		}
		if _, err := strconv.ParseUint(n.String(), 10, t.Bits()); err != nil {
			return &strictProblem{path: path, msg: fmt.Sprintf("%s is not an unsigned integer of %d bits", n, t.Bits()), err: ErrType}
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := doc.(json.Number); !ok {
			return wrong("a number")
		}
	}
	return nil
}

func describe(doc any) string {
	switch v := doc.(type) {
	case string:
		return strconv.Quote(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "null"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonFields returns the JSON fields of struct type t by name, with the
// fields of embedded structs promoted as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	fields := make(map[string]reflect.StructField)
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for n, ef := range jsonFields(ft) {
				if _, shadowed := fields[n]; !shadowed {
					fields[n] = ef
				}
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f
	}
	return fields
}
