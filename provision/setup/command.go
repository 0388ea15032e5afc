package setup

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// Reboot says what happens after a command, as unattend.xml's WillReboot.
type Reboot uint8

const (
	// Never: no reboot. The runner treats a non-zero exit as failure (Windows
	// Setup ignores it; a provisioning pipeline should not).
	Never Reboot = iota
	// Always: reboot after the command, then run the next one.
	Always
	// OnRequest: exit 0 continue, 1 reboot then run the next command, 2
	// reboot then run this command again; any other exit is a failure.
	OnRequest
)

func (r Reboot) String() string {
	switch r {
	case Never:
		return "Never"
	case Always:
		return "Always"
	case OnRequest:
		return "OnRequest"
	}
	return "Reboot(" + strconv.Itoa(int(r)) + ")"
}

// Command is one step of setup.
type Command struct {
	// ID names the step in the progress file; unique within a plan and
	// stable across reboots (e.g. "oobeSystem/FirstLogonCommands/2").
	ID          string
	Line        string   // run by the executor's shell
	Argv        []string // if set, executed directly instead of Line
	Description string
	Reboot      Reboot
	Timeout     time.Duration // 0: the runner's default
}

func (c Command) String() string {
	if c.Argv != nil {
		return fmt.Sprintf("%s: %q", c.ID, c.Argv)
	}
	return c.ID + ": " + c.Line
}

// planDigest identifies a command list, so a progress file is never
// applied to a different plan.
func planDigest(cmds []Command) string {
	h := sha256.New()
	for _, c := range cmds {
		fmt.Fprintf(h, "%q %q %q %d\n", c.ID, c.Line, c.Argv, c.Reboot)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
