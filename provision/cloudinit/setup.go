package cloudinit

import (
	"strconv"

	"github.com/sdnfabric/sdnfabric/provision/setup"
)

// SetupCommands returns runcmd as commands for package setup's Runner:
// string entries run by the shell, list entries executed directly. IDs
// are "runcmd/<index>".
func (c *Config) SetupCommands() []setup.Command {
	out := make([]setup.Command, 0, len(c.RunCmd))
	for i, r := range c.RunCmd {
		cmd := setup.Command{ID: "runcmd/" + strconv.Itoa(i), Line: r.Shell}
		if r.Argv != nil {
			cmd.Argv = append([]string(nil), r.Argv...)
		}
		out = append(out, cmd)
	}
	return out
}
