package cloudinit

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxSize bounds the input: cloud providers cap user data at 16-64 KiB;
// 1 MiB leaves room and keeps hostile input small.
const MaxSize = 1 << 20

// Parse reads a cloud-config file. Every error is an *Error naming the key
// and line.
func Parse(r io.Reader) (*Config, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	return ParseBytes(b)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// ParseBytes parses a cloud-config file held in memory.
func ParseBytes(b []byte) (*Config, error) {
	if len(b) > MaxSize {
		return nil, &Error{Key: "(file)", Err: ErrTooLarge, Detail: fmt.Sprintf("more than %d bytes", MaxSize)}
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if string(bytes.TrimRight(first, " \t\r")) != Header {
		return nil, &Error{Key: "(file)", Line: 1, Column: 1, Err: ErrHeader}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		e := &Error{Key: "(file)", Err: ErrSyntax, Detail: err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
		}
		return nil, e
	}
	c := &Config{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return c, nil // header only
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	wk := &walker{budget: len(b)}
	err := wk.mapping("(top)", root, func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "hostname":
			c.Hostname, err = wk.scalar(key, v)
			if err == nil {
				err = checkHostname(key, v, c.Hostname)
			}
		case "fqdn":
			c.FQDN, err = wk.scalar(key, v)
		case "users":
			err = wk.sequence(key, v, func(path string, n *yaml.Node) error {
				u, err := wk.user(path, n)
				c.Users = append(c.Users, u)
				return err
			})
		case "write_files":
			err = wk.sequence(key, v, func(path string, n *yaml.Node) error {
				w, err := wk.writeFile(path, n)
				c.WriteFiles = append(c.WriteFiles, w)
				return err
			})
		case "runcmd":
			err = wk.sequence(key, v, func(path string, n *yaml.Node) error {
				cmd, err := wk.command(path, n)
				c.RunCmd = append(c.RunCmd, cmd)
				return err
			})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func fail(path string, n *yaml.Node, err error, detail string) *Error {
	return &Error{Key: path, Line: n.Line, Column: n.Column, Err: err, Detail: detail}
}

// walker walks the document with a budget of node visits. Aliases let a
// small file name the same large list many times; the budget (one visit
// per input byte) keeps what a file can expand to no larger than the file.
type walker struct {
	budget int
}

var errBudget = &Error{Key: "(file)", Err: ErrTooLarge, Detail: "aliases expand to more nodes than the file has bytes"}

// resolve follows an alias to its anchor and charges one visit.
func (wk *walker) resolve(n *yaml.Node) *yaml.Node {
	wk.budget--
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func (wk *walker) spent() error {
	if wk.budget < 0 {
		e := *errBudget
		return &e
	}
	return nil
}

func (wk *walker) mapping(path string, n *yaml.Node, fn func(key string, v *yaml.Node) error) error {
	n = wk.resolve(n)
	if n.Kind != yaml.MappingNode {
		return fail(path, n, ErrType, "want a mapping")
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := wk.resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return fail(path, k, ErrType, "mapping key is not a string")
		}
		kp := k.Value
		if path != "(top)" {
			kp = path + "." + k.Value
		}
		if seen[k.Value] {
			return fail(kp, k, ErrDuplicate, "")
		}
		seen[k.Value] = true
		if err := fn(k.Value, n.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (wk *walker) sequence(path string, n *yaml.Node, fn func(path string, n *yaml.Node) error) error {
	n = wk.resolve(n)
	if n.Kind != yaml.SequenceNode {
		return fail(path, n, ErrType, "want a list")
	}
	for i, item := range n.Content {
		item = wk.resolve(item)
		if err := wk.spent(); err != nil {
			return err
		}
		if err := fn(fmt.Sprintf("%s[%d]", path, i), item); err != nil {
			return err
		}
	}
	return nil
}

func (wk *walker) scalar(path string, n *yaml.Node) (string, error) {
	n = wk.resolve(n)
	if n.Kind != yaml.ScalarNode {
		return "", fail(path, n, ErrType, "want a string")
	}
	return n.Value, nil
}

func (wk *walker) boolean(path string, n *yaml.Node) (bool, error) {
	n = wk.resolve(n)
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			return true, nil
		case "false", "no", "off":
			return false, nil
		}
	}
	return false, fail(path, n, ErrValue, fmt.Sprintf("%q: want true or false", n.Value))
}

// stringList accepts a list of strings or, when commaString, one
// comma-separated string.
func (wk *walker) stringList(path string, n *yaml.Node, commaString bool) ([]string, error) {
	n = wk.resolve(n)
	if n.Kind == yaml.ScalarNode {
		if !commaString {
			return []string{n.Value}, nil
		}
		var out []string
		for f := range strings.SplitSeq(n.Value, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
		return out, nil
	}
	var out []string
	err := wk.sequence(path, n, func(p string, item *yaml.Node) error {
		s, err := wk.scalar(p, item)
		out = append(out, s)
		return err
	})
	return out, err
}

func checkHostname(path string, n *yaml.Node, h string) error {
	if why := hostnameProblem(h); why != "" {
		return fail(path, n, ErrValue, why)
	}
	return nil
}

// hostnameProblem says what is wrong with h, or "".
func hostnameProblem(h string) string {
	if h == "" || len(h) > 63 {
		return fmt.Sprintf("%q: 1 to 63 characters", h)
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c == '-' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return fmt.Sprintf("%q: character %q", h, c)
		}
	}
	return ""
}

func (wk *walker) user(path string, n *yaml.Node) (User, error) {
	var u User
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "default":
			return User{Default: true}, nil
		case "":
			return u, fail(path, n, ErrMissing, "name")
		}
		u.Name = n.Value
		return u, nil
	}
	err := wk.mapping(path, n, func(key string, v *yaml.Node) error {
		var err error
		kp := path + "." + key
		switch key {
		case "name":
			u.Name, err = wk.scalar(kp, v)
		case "gecos":
			u.Gecos, err = wk.scalar(kp, v)
		case "primary_group":
			u.PrimaryGroup, err = wk.scalar(kp, v)
		case "groups":
			u.Groups, err = wk.stringList(kp, v, true)
		case "shell":
			u.Shell, err = wk.scalar(kp, v)
		case "homedir":
			u.HomeDir, err = wk.scalar(kp, v)
		case "sudo":
			if b, berr := wk.boolean(kp, v); berr == nil && !b {
				return nil // sudo: false means no rule
			}
			u.Sudo, err = wk.stringList(kp, v, false)
		case "lock_passwd":
			var b bool
			b, err = wk.boolean(kp, v)
			u.LockPasswd = &b
		case "ssh_authorized_keys":
			u.SSHAuthorizedKeys, err = wk.stringList(kp, v, false)
		}
		return err
	})
	if err == nil && u.Name == "" {
		err = fail(path, n, ErrMissing, "name")
	}
	return u, err
}

func (wk *walker) writeFile(path string, n *yaml.Node) (WriteFile, error) {
	var w WriteFile
	err := wk.mapping(path, n, func(key string, v *yaml.Node) error {
		var err error
		kp := path + "." + key
		switch key {
		case "path":
			w.Path, err = wk.scalar(kp, v)
			if err == nil && !strings.HasPrefix(w.Path, "/") {
				err = fail(kp, v, ErrValue, fmt.Sprintf("%q is not absolute", w.Path))
			}
		case "content":
			w.Content, err = wk.scalar(kp, v)
		case "owner":
			w.Owner, err = wk.scalar(kp, v)
		case "permissions":
			w.Permissions, err = wk.scalar(kp, v)
			if err == nil {
				if _, perr := strconv.ParseUint(w.Permissions, 8, 12); perr != nil {
					err = fail(kp, v, ErrValue, fmt.Sprintf("%q: want octal such as '0644'", w.Permissions))
				}
			}
		case "encoding":
			w.Encoding, err = wk.scalar(kp, v)
			if err == nil {
				switch w.Encoding {
				case "", "b64", "base64", "gzip", "gz", "gz+b64", "gzip+base64", "gz+base64", "gzip+b64", "text/plain":
				default:
					err = fail(kp, v, ErrValue, fmt.Sprintf("unknown encoding %q", w.Encoding))
				}
			}
		case "append":
			w.Append, err = wk.boolean(kp, v)
		case "defer":
			w.Defer, err = wk.boolean(kp, v)
		}
		return err
	})
	if err == nil && w.Path == "" {
		err = fail(path, n, ErrMissing, "path")
	}
	return w, err
}

func (wk *walker) command(path string, n *yaml.Node) (Command, error) {
	if n.Kind == yaml.ScalarNode {
		if n.Value == "" {
			return Command{}, fail(path, n, ErrValue, "empty command")
		}
		return Command{Shell: n.Value}, nil
	}
	argv, err := wk.stringList(path, n, false)
	if err == nil && len(argv) == 0 {
		err = fail(path, n, ErrValue, "empty argument list")
	}
	return Command{Argv: argv}, err
}
