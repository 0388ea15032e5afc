package cloudinit

// Header is the first line of every cloud-config file.
const Header = "#cloud-config"

// Config is a cloud-config file: the modules this package models.
// Other top-level keys are skipped on parse and not written back.
type Config struct {
	Hostname   string
	FQDN       string
	Users      []User
	WriteFiles []WriteFile
	RunCmd     []Command
}

// User is one entry of "users". The bare string "default" stands for the
// distribution's default user and parses to User{Default: true}.
type User struct {
	Default           bool
	Name              string
	Gecos             string
	PrimaryGroup      string
	Groups            []string // a comma-separated string or a list
	Shell             string
	HomeDir           string
	Sudo              []string // sudoers rules; a single string or a list
	LockPasswd        *bool    // nil: cloud-init's default (true)
	SSHAuthorizedKeys []string
}

// WriteFile is one entry of "write_files".
type WriteFile struct {
	Path        string
	Content     string
	Owner       string // "user:group"
	Permissions string // octal, e.g. "0644"
	Encoding    string // "", "b64", "base64", "gzip", "gz", "gz+b64", "gzip+base64", "text/plain"
	Append      bool
	Defer       bool
}

// Command is one entry of "runcmd": either a string run by the shell or
// an argument vector executed directly.
type Command struct {
	Shell string
	Argv  []string
}
