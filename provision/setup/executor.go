package setup

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"runtime"
	"time"
)

// Executor runs one command. It writes the command's output to log and
// returns its exit code; a non-nil error means the command did not run to
// an exit (could not start, timed out, was cancelled).
type Executor interface {
	Exec(ctx context.Context, cmd Command, log io.Writer) (exitCode int, err error)
}

// Local runs commands on this machine with os/exec.
type Local struct {
	// Shell runs Command.Line: default "/bin/sh -c", or "cmd.exe /c" on
	// Windows.
	Shell []string
	// WaitDelay bounds how long output pipes may stay open after the
	// process is killed on timeout (default 2s).
	WaitDelay time.Duration
}

// Exec runs cmd; ctx carries the timeout.
func (l Local) Exec(ctx context.Context, cmd Command, log io.Writer) (int, error) {
	var c *exec.Cmd
	if cmd.Argv != nil {
		if len(cmd.Argv) == 0 {
			return -1, errors.New("setup: empty argument vector")
		}
		c = exec.CommandContext(ctx, cmd.Argv[0], cmd.Argv[1:]...)
	} else {
		shell := l.Shell
		if len(shell) == 0 {
			shell = []string{"/bin/sh", "-c"}
			if runtime.GOOS == "windows" {
				shell = []string{"cmd.exe", "/c"}
			}
		}
		args := append(append([]string(nil), shell[1:]...), cmd.Line)
		c = exec.CommandContext(ctx, shell[0], args...)
	}
	c.Stdout, c.Stderr = log, log
	c.WaitDelay = l.WaitDelay
	if c.WaitDelay == 0 {
		c.WaitDelay = 2 * time.Second
	}
	err := c.Run()
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.Exited() {
			return ee.ExitCode(), nil
		}
		return -1, err // killed by a signal
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}
