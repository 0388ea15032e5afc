package unattend

import (
	"strconv"

	"github.com/sdnfabric/sdnfabric/provision/setup"
)

// SetupCommands returns the commands Windows Setup would run in pass, in
// order, for package setup's Runner: RunSynchronous entries (with their
// WillReboot) and, for oobeSystem, FirstLogonCommands (which never
// reboot). IDs are "<pass>/<list>/<Order>", stable across reboots.
func (f *File) SetupCommands(pass Pass) []setup.Command {
	var out []setup.Command
	for _, r := range f.RunSynchronous(pass) {
		out = append(out, setup.Command{
			ID:          string(pass) + "/RunSynchronous/" + strconv.Itoa(r.Order),
			Line:        r.Path,
			Description: r.Description,
			Reboot:      setup.Reboot(r.WillReboot), // same numbering: Never, Always, OnRequest
		})
	}
	if pass == OOBESystem {
		for _, c := range f.FirstLogonCommands() {
			out = append(out, setup.Command{
				ID:          string(pass) + "/FirstLogonCommands/" + strconv.Itoa(c.Order),
				Line:        c.CommandLine,
				Description: c.Description,
			})
		}
	}
	return out
}
