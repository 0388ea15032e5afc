package cloudinit

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Marshal returns c as a cloud-config file: the header line, then YAML
// with two-space indentation, keys in a fixed order. What Marshal writes
// Parse reads back to an equal Config.
func Marshal(c *Config) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes c to w; see Marshal.
func Write(w io.Writer, c *Config) error {
	if c.Hostname != "" {
		if why := hostnameProblem(c.Hostname); why != "" {
			return &Error{Key: "hostname", Err: ErrValue, Detail: why}
		}
	}
	if _, err := io.WriteString(w, Header+"\n"); err != nil {
		return err
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	if c.Hostname != "" {
		put(root, "hostname", str(c.Hostname))
	}
	if c.FQDN != "" {
		put(root, "fqdn", str(c.FQDN))
	}
	if len(c.Users) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, u := range c.Users {
			seq.Content = append(seq.Content, userNode(u))
		}
		put(root, "users", seq)
	}
	if len(c.WriteFiles) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, f := range c.WriteFiles {
			m := &yaml.Node{Kind: yaml.MappingNode}
			put(m, "path", str(f.Path))
			if f.Content != "" {
				put(m, "content", str(f.Content))
			}
			for _, kv := range [...]struct{ k, v string }{{"owner", f.Owner}, {"permissions", f.Permissions}, {"encoding", f.Encoding}} {
				if kv.v != "" {
					put(m, kv.k, str(kv.v))
				}
			}
			if f.Append {
				put(m, "append", boolNode(true))
			}
			if f.Defer {
				put(m, "defer", boolNode(true))
			}
			seq.Content = append(seq.Content, m)
		}
		put(root, "write_files", seq)
	}
	if len(c.RunCmd) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, cmd := range c.RunCmd {
			if cmd.Argv != nil {
				seq.Content = append(seq.Content, list(cmd.Argv))
			} else {
				seq.Content = append(seq.Content, str(cmd.Shell))
			}
		}
		put(root, "runcmd", seq)
	}
	if len(root.Content) == 0 {
		return nil
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return err
	}
	return enc.Close()
}

func userNode(u User) *yaml.Node {
	if u.Default {
		return str("default")
	}
	m := &yaml.Node{Kind: yaml.MappingNode}
	put(m, "name", str(u.Name))
	for _, kv := range [...]struct{ k, v string }{{"gecos", u.Gecos}, {"primary_group", u.PrimaryGroup}, {"shell", u.Shell}, {"homedir", u.HomeDir}} {
		if kv.v != "" {
			put(m, kv.k, str(kv.v))
		}
	}
	if len(u.Groups) > 0 {
		put(m, "groups", list(u.Groups))
	}
	if len(u.Sudo) > 0 {
		put(m, "sudo", list(u.Sudo))
	}
	if u.LockPasswd != nil {
		put(m, "lock_passwd", boolNode(*u.LockPasswd))
	}
	if len(u.SSHAuthorizedKeys) > 0 {
		put(m, "ssh_authorized_keys", list(u.SSHAuthorizedKeys))
	}
	return m
}

func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}

// str is a string scalar; the !!str tag makes the encoder quote values
// such as "0644", "yes" or "1.0" that would otherwise read back as other
// types. Multi-line text goes out as a literal block (scripts stay
// readable) unless it holds characters a literal block cannot carry back
// exactly (tabs, carriage returns, leading or trailing blanks on a line),
// which are double-quoted instead.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.ContainsRune(s, '\n') && !literalSafe(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func literalSafe(s string) bool {
	if strings.ContainsAny(s, "\t\r") {
		return false
	}
	for line := range strings.SplitSeq(s, "\n") {
		if line != strings.TrimSpace(line) && strings.TrimLeft(line, " ") != strings.TrimSpace(line) {
			return false // trailing blank
		}
	}
	return !strings.HasPrefix(s, " ")
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func list(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range ss {
		n.Content = append(n.Content, str(s))
	}
	return n
}
