package unattend

// ShellSetup is the component that carries ComputerName, AutoLogon and
// FirstLogonCommands.
const ShellSetup = "Microsoft-Windows-Shell-Setup"

// Clone returns a deep copy of f.
func (f *File) Clone() *File {
	g := &File{
		Settings:   make([]Settings, len(f.Settings)),
		Namespaces: append([]XMLNS(nil), f.Namespaces...),
		Extra:      append([]RawXML(nil), f.Extra...),
	}
	for i, s := range f.Settings {
		g.Settings[i] = Settings{Pass: s.Pass, Components: make([]Component, len(s.Components))}
		for j, c := range s.Components {
			c.RunSynchronous = append([]RunSynchronousCommand(nil), c.RunSynchronous...)
			c.FirstLogonCommands = append([]SynchronousCommand(nil), c.FirstLogonCommands...)
			c.Namespaces = append([]XMLNS(nil), c.Namespaces...)
			c.Extra = append([]RawXML(nil), c.Extra...)
			if c.AutoLogon != nil {
				a := *c.AutoLogon
				if a.Password != nil {
					p := *a.Password
					a.Password = &p
				}
				c.AutoLogon = &a
			}
			g.Settings[i].Components[j] = c
		}
	}
	return g
}

// ForInstance returns a copy of the catalog's answer file for one
// instance: ComputerName in the specialize pass's Shell-Setup component is
// set to name (the component and the pass are added if missing). This is
// what a machine-catalog service does for each clone of a generalized
// image.
func (f *File) ForInstance(name string) *File {
	g := f.Clone()
	for i := range g.Settings {
		if g.Settings[i].Pass != Specialize {
			continue
		}
		if c := g.Component(Specialize, ShellSetup); c != nil {
			c.ComputerName = name
			return g
		}
		g.Settings[i].Components = append(g.Settings[i].Components, Component{Name: ShellSetup, ComputerName: name})
		return g
	}
	g.Settings = append(g.Settings, Settings{Pass: Specialize, Components: []Component{{Name: ShellSetup, ComputerName: name}}})
	return g
}
