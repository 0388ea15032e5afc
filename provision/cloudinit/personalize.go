package cloudinit

import "slices"

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	g := *c
	g.Users = slices.Clone(c.Users)
	for i, u := range g.Users {
		u.Groups = slices.Clone(u.Groups)
		u.Sudo = slices.Clone(u.Sudo)
		u.SSHAuthorizedKeys = slices.Clone(u.SSHAuthorizedKeys)
		if u.LockPasswd != nil {
			b := *u.LockPasswd
			u.LockPasswd = &b
		}
		g.Users[i] = u
	}
	g.WriteFiles = slices.Clone(c.WriteFiles)
	g.RunCmd = slices.Clone(c.RunCmd)
	for i, r := range g.RunCmd {
		r.Argv = slices.Clone(r.Argv)
		g.RunCmd[i] = r
	}
	return &g
}

// ForInstance returns a copy of the catalog's cloud-config for one
// instance with its hostname set (and fqdn, when domain is not empty).
func (c *Config) ForInstance(hostname, domain string) *Config {
	g := c.Clone()
	g.Hostname = hostname
	if domain != "" {
		g.FQDN = hostname + "." + domain
	}
	return g
}
