// Package cloudinit reads and writes cloud-init "#cloud-config" user data,
// the Linux counterpart of unattend.xml: hostname and fqdn, users (the
// "default" entry or mappings with name, groups, sudo, shell,
// lock_passwd, ssh_authorized_keys...), write_files (path, content,
// owner, permissions, encoding, append, defer) and runcmd (shell strings
// or argument lists). Other modules' keys are skipped on parse and not
// written back.
//
// Parsing uses go.yaml.in/yaml/v3, the YAML organisation's maintained
// yaml.v3: cloud-config files are written by people in full YAML (block
// and flow styles, quoting, literal blocks, anchors), and a hand-written
// subset would disagree with cloud-init on real files. The parser's node
// positions give every *Error its key path and line. Input is bounded to
// MaxSize bytes before parsing; yaml.v3 bounds nesting depth, and the
// walker charges one visit per node reached, aliases included, so a file
// cannot expand to more values than it has bytes.
//
// No RFC governs this format; it is specified by the cloud-init
// documentation ("Cloud config examples", module reference).
package cloudinit
