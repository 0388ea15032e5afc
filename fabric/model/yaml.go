package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML goes through go.yaml.in/yaml/v3 (the YAML organisation's
// continuation of gopkg.in/yaml.v3; the provision module already depends
// on it) at the level of its node tree: each document is converted to
// JSON and then decoded by the same strict JSON path as a JSON file, so
// the encoding/json tags are the only schema and the two forms cannot
// drift apart. Working on nodes, rather than through a YAML-to-JSON
// library such as sigs.k8s.io/yaml, keeps each field's line number for
// error messages, refuses duplicate keys and merge keys, and bounds what
// aliases expand to.

// DecodeYAML decodes a stream of YAML documents, each one resource (or a
// sequence of resources). Empty documents are skipped.
func DecodeYAML(data []byte) ([]Object, error) {
	if len(data) > MaxFileBytes {
		return nil, &DecodeError{Offset: -1, Msg: fmt.Sprintf("%d bytes, more than %d", len(data), MaxFileBytes), Err: ErrTooLarge}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var objs []Object
	for doc := 1; ; doc++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			return nil, &DecodeError{Doc: doc, Offset: -1, Msg: strings.TrimPrefix(err.Error(), "yaml: "), Err: ErrSyntax}
		}
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			n = *n.Content[0]
		}
		if n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
			continue // an empty document
		}
		c := &yamlConverter{lines: make(map[string]int), budget: 4 * MaxFileBytes}
		if err := c.convert(&n, "", 0); err != nil {
			return nil, &DecodeError{Doc: doc, Line: err.line, Offset: -1, Path: err.path, Msg: err.msg, Err: err.err}
		}
		if objs, err = appendDocument(objs, c.buf.Bytes(), doc, -1, c.lines); err != nil {
			return nil, err
		}
	}
}

// lineOf returns the YAML line of path or of its closest ancestor, 0 when
// unknown.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

type yamlConverter struct {
	buf    bytes.Buffer
	lines  map[string]int // field path -> line of its key or item
	budget int            // bytes of JSON left
	// inAlias counts the aliases being expanded; aliased counts the
	// nodes converted through aliases, which MaxAliasNodes bounds (a
	// "billion laughs" document is refused early).
	inAlias, aliased int
}

// MaxAliasNodes bounds the nodes that YAML aliases of one document expand
// to (ours).
const MaxAliasNodes = 1 << 16

type yamlError struct {
	line      int
	path, msg string
	err       error
}

func (c *yamlConverter) fail(n *yaml.Node, path string, err error, format string, args ...any) *yamlError {
	return &yamlError{line: n.Line, path: path, msg: fmt.Sprintf(format, args...), err: err}
}

func (c *yamlConverter) write(n *yaml.Node, path string, s string) *yamlError {
	if c.budget -= len(s); c.budget < 0 {
		return c.fail(n, path, ErrTooLarge, "document expands to more than %d bytes of JSON", 4*MaxFileBytes)
	}
	c.buf.WriteString(s)
	return nil
}

func (c *yamlConverter) convert(n *yaml.Node, path string, depth int) *yamlError {
	if depth > MaxDepth {
		return c.fail(n, path, ErrTooLarge, "nested deeper than %d", MaxDepth)
	}
	if c.inAlias > 0 {
		if c.aliased++; c.aliased > MaxAliasNodes {
			return c.fail(n, path, ErrTooLarge, "aliases expand to more than %d nodes", MaxAliasNodes)
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return c.fail(n, path, ErrSyntax, "unknown alias")
		}
		c.inAlias++
		err := c.convert(n.Alias, path, depth+1)
		c.inAlias--
		return err
	case yaml.MappingNode:
		if err := c.write(n, path, "{"); err != nil {
			return err
		}
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			for k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return c.fail(k, path, ErrSyntax, "a mapping key must be a scalar")
			}
			if k.ShortTag() == "!!merge" {
				return c.fail(k, path, ErrSyntax, "merge keys (<<) are not supported")
			}
			kp := joinPath(path, k.Value)
			if seen[k.Value] {
				return c.fail(k, kp, ErrSyntax, "key %q is repeated", k.Value)
			}
			seen[k.Value] = true
			if c.inAlias == 0 {
				c.lines[kp] = k.Line
			}
			if i > 0 {
				if err := c.write(k, kp, ","); err != nil {
					return err
				}
			}
			kj, _ := json.Marshal(k.Value)
			if err := c.write(k, kp, string(kj)+":"); err != nil {
				return err
			}
			if err := c.convert(v, kp, depth+1); err != nil {
				return err
			}
		}
		return c.write(n, path, "}")
	case yaml.SequenceNode:
		if err := c.write(n, path, "["); err != nil {
			return err
		}
		for i, e := range n.Content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			if c.inAlias == 0 {
				c.lines[ip] = e.Line
			}
			if i > 0 {
				if err := c.write(e, ip, ","); err != nil {
					return err
				}
			}
			if err := c.convert(e, ip, depth+1); err != nil {
				return err
			}
		}
		return c.write(n, path, "]")
	case yaml.ScalarNode:
		s, err := scalarJSON(n)
		if err != nil {
			return c.fail(n, path, ErrType, "%v", err)
		}
		return c.write(n, path, s)
	case yaml.DocumentNode:
		return c.fail(n, path, ErrSyntax, "nested document")
	}
	return c.fail(n, path, ErrSyntax, "unexpected YAML node")
}

// scalarJSON returns the JSON form of a YAML scalar, after the YAML 1.2
// core schema that yaml/v3 resolves.
func scalarJSON(n *yaml.Node) (string, error) {
	switch n.ShortTag() {
	case "!!null":
		return "null", nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return strconv.FormatInt(i, 10), nil
		}
		var u uint64
		if err := n.Decode(&u); err != nil {
			return "", fmt.Errorf("%q is not a 64-bit integer", n.Value)
		}
		return strconv.FormatUint(u, 10), nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return "", err
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "", fmt.Errorf("%s has no JSON form", n.Value)
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case "!!str", "!!timestamp", "!!binary":
		b, _ := json.Marshal(n.Value)
		return string(b), nil
	}
	return "", fmt.Errorf("tag %s is not supported", n.Tag)
}

// EncodeYAML writes objs as a stream of YAML documents separated by
// "---", fields in the order of the JSON form.
func EncodeYAML(w io.Writer, objs []Object) error {
	for i := range objs {
		js, err := json.Marshal(&objs[i])
		if err != nil {
			return fmt.Errorf("model: encoding %s/%s: %w", objs[i].Kind, objs[i].Metadata.Name, err)
		}
		n, err := jsonNode(json.NewDecoder(bytes.NewReader(js)))
		if err != nil {
			return err
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(n); err != nil {
			return fmt.Errorf("model: encoding %s/%s: %w", objs[i].Kind, objs[i].Metadata.Name, err)
		}
		if err := enc.Close(); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// jsonNode reads one JSON value from dec as a YAML node, keeping the
// order of object keys.
func jsonNode(dec *json.Decoder) (*yaml.Node, error) {
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := jsonNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kt.(string)}, v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				v, err := jsonNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
			_, err := dec.Token()
			return n, err
		}
	case string:
		// SetString quotes what would otherwise read back as another type.
		n := &yaml.Node{}
		n.SetString(t)
		return n, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, errors.New("model: unexpected JSON token")
}
