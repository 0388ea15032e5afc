package unattend

import (
	"cmp"
	"slices"
)

// XML namespaces of an answer file.
const (
	Namespace    = "urn:schemas-microsoft-com:unattend"
	WCMNamespace = "http://schemas.microsoft.com/WMIConfig/2002/State"
)

// Pass is a configuration pass of Windows Setup.
type Pass string

// The seven configuration passes.
const (
	WindowsPE        Pass = "windowsPE"
	OfflineServicing Pass = "offlineServicing"
	Generalize       Pass = "generalize"
	Specialize       Pass = "specialize"
	AuditSystem      Pass = "auditSystem"
	AuditUser        Pass = "auditUser"
	OOBESystem       Pass = "oobeSystem"
)

func (p Pass) valid() bool {
	switch p {
	case WindowsPE, OfflineServicing, Generalize, Specialize, AuditSystem, AuditUser, OOBESystem:
		return true
	}
	return false
}

// File is an answer file. The parts the package models are fields;
// unknown children of <unattend> and of <component> (OOBE, UserAccounts,
// RegisteredOwner...) are kept verbatim in Extra and written back, with
// the namespace prefixes declared on those elements. Unknown children of
// <settings> and of the modeled elements themselves are dropped. Write
// puts kept elements after the modeled ones (Windows Setup does not
// depend on the order of a component's children).
type File struct {
	Settings   []Settings
	Namespaces []XMLNS  // xmlns:prefix declarations on <unattend> besides wcm
	Extra      []RawXML // unknown children of <unattend>, verbatim
}

// XMLNS is an xmlns:Prefix="URI" declaration.
type XMLNS struct {
	Prefix, URI string
}

// RawXML is one element exactly as it appeared in the input, from its
// start tag through its end tag.
type RawXML string

// Settings is one <settings pass="..."> block.
type Settings struct {
	Pass       Pass
	Components []Component
}

// Component is one <component>, e.g. Microsoft-Windows-Shell-Setup
// (ComputerName, AutoLogon, FirstLogonCommands) or
// Microsoft-Windows-Deployment (RunSynchronous).
type Component struct {
	Name                  string
	ProcessorArchitecture string // amd64, x86, arm64, wow64
	PublicKeyToken        string
	Language              string
	VersionScope          string

	ComputerName       string // "*" asks Setup for a random name
	AutoLogon          *AutoLogon
	RunSynchronous     []RunSynchronousCommand
	FirstLogonCommands []SynchronousCommand

	Namespaces []XMLNS  // xmlns:prefix declarations on <component>
	Extra      []RawXML // unknown children, verbatim, in order
}

// AutoLogon logs an account on automatically (the seed uses it so that
// FirstLogonCommands run as Administrator).
type AutoLogon struct {
	Username   string
	Domain     string
	Password   *Password
	Enabled    bool
	LogonCount int // 0: not written
}

// Password is an answer-file password.
type Password struct {
	Value     string
	PlainText bool
}

// WillReboot says whether Setup reboots after a RunSynchronous command.
type WillReboot uint8

const (
	// Never: no reboot; the exit code is not interpreted.
	Never WillReboot = iota
	// Always: reboot after the command, then run the next one.
	Always
	// OnRequest: the exit code decides: 0 continue, 1 reboot then run the
	// next command, 2 reboot then run this command again.
	OnRequest
)

var willRebootNames = [...]string{Never: "Never", Always: "Always", OnRequest: "OnRequest"}

func (w WillReboot) String() string {
	if int(w) < len(willRebootNames) {
		return willRebootNames[w]
	}
	return "WillReboot(?)"
}

// Order bounds for RunSynchronousCommand and SynchronousCommand.
const (
	MinOrder = 1
	MaxOrder = 500
)

// RunSynchronousCommand runs during specialize or auditUser, as SYSTEM.
type RunSynchronousCommand struct {
	Action      string // wcm:action, usually "add"
	Order       int
	Path        string
	Description string
	WillReboot  WillReboot
}

// SynchronousCommand is a FirstLogonCommands entry, run when the first
// user logs on (oobeSystem).
type SynchronousCommand struct {
	Action            string // wcm:action, usually "add"
	Order             int
	CommandLine       string
	Description       string
	RequiresUserInput bool
}

// Component returns the first component named name in pass, or nil.
func (f *File) Component(pass Pass, name string) *Component {
	for i := range f.Settings {
		s := &f.Settings[i]
		if s.Pass != pass {
			continue
		}
		for j := range s.Components {
			if s.Components[j].Name == name {
				return &s.Components[j]
			}
		}
	}
	return nil
}

// FirstLogonCommands returns every FirstLogonCommands entry of the
// oobeSystem pass in execution order (by Order).
func (f *File) FirstLogonCommands() []SynchronousCommand {
	var out []SynchronousCommand
	for _, s := range f.Settings {
		if s.Pass == OOBESystem {
			for _, c := range s.Components {
				out = append(out, c.FirstLogonCommands...)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b SynchronousCommand) int { return cmp.Compare(a.Order, b.Order) })
	return out
}

// RunSynchronous returns every RunSynchronous entry of pass in execution
// order (by Order).
func (f *File) RunSynchronous(pass Pass) []RunSynchronousCommand {
	var out []RunSynchronousCommand
	for _, s := range f.Settings {
		if s.Pass == pass {
			for _, c := range s.Components {
				out = append(out, c.RunSynchronous...)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b RunSynchronousCommand) int { return cmp.Compare(a.Order, b.Order) })
	return out
}
