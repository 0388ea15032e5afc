package setup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// Outcome is how a Run ended without error.
type Outcome uint8

const (
	// Finished: every command is done; running again does nothing.
	Finished Outcome = iota + 1
	// RebootRequired: reboot the machine and call Run again; it resumes at
	// the first command not done.
	RebootRequired
)

func (o Outcome) String() string {
	switch o {
	case Finished:
		return "Finished"
	case RebootRequired:
		return "RebootRequired"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Result reports one Run.
type Result struct {
	Outcome Outcome
	Ran     []string // IDs executed by this Run, in order
	Next    string   // after RebootRequired: the ID the next Run starts with
}

// Runner executes a command list in order through an Executor, records
// progress in a JSON file after every command, and honours the reboot
// contract of unattend.xml's WillReboot.
//
// Each completed command is recorded before the next starts, so after a
// crash or reboot Run resumes at the first command not recorded as done,
// and a command recorded as done never runs again. A command that was
// running when the machine died is not recorded and runs again: commands
// should be idempotent (at-least-once up to the record, exactly-once
// after it).
type Runner struct {
	Exec      Executor
	StatePath string        // the progress file; required
	LogPath   string        // command output is appended here; "" discards it
	Timeout   time.Duration // per command when Command.Timeout is 0; 0 means none
	// MaxReboots bounds reboots across the whole plan (default 16), so a
	// command that keeps exiting 2 cannot reboot the machine forever.
	MaxReboots int
	Logger     *slog.Logger // nil: slog.Default()
}

// Run executes the commands not yet done. It returns RebootRequired when a
// command asks for a reboot (the caller reboots and calls Run again),
// Finished when all are done, or an error naming the command that failed;
// the failed command is not recorded, so the next Run retries it.
func (r *Runner) Run(ctx context.Context, cmds []Command) (Result, error) {
	if r.StatePath == "" || r.Exec == nil {
		return Result{}, fmt.Errorf("%w: Runner needs Exec and StatePath", ErrBadPlan)
	}
	seen := make(map[string]bool, len(cmds))
	for i, c := range cmds {
		if c.ID == "" || seen[c.ID] {
			return Result{}, fmt.Errorf("%w: command %d: ID %q empty or repeated", ErrBadPlan, i, c.ID)
		}
		if c.Reboot > OnRequest {
			return Result{}, fmt.Errorf("%w: command %s: %v", ErrBadPlan, c.ID, c.Reboot)
		}
		seen[c.ID] = true
	}
	plan := planDigest(cmds)
	p, err := loadProgress(r.StatePath)
	if err != nil {
		return Result{}, err
	}
	if p.Plan == "" {
		p.Plan = plan
	} else if p.Plan != plan {
		return Result{}, &StateError{Path: r.StatePath, Err: ErrPlanChanged, Detail: fmt.Sprintf("recorded plan %s, this plan %s", p.Plan, plan)}
	}
	done := make(map[string]bool, len(p.Done))
	for _, id := range p.Done {
		done[id] = true
	}
	logger := r.Logger
	if logger == nil {
		logger = slog.Default()
	}
	maxReboots := r.MaxReboots
	if maxReboots <= 0 {
		maxReboots = 16
	}
	out, closeLog, err := r.openLog()
	if err != nil {
		return Result{}, err
	}
	defer closeLog()

	var res Result
	for _, c := range cmds {
		if done[c.ID] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		code, err := r.exec(ctx, c, out)
		res.Ran = append(res.Ran, c.ID)
		logger.LogAttrs(ctx, slog.LevelInfo, "setup command", slog.String("id", c.ID), slog.Int("exit", code), slog.Any("err", err))
		if err != nil {
			return res, &CommandError{ID: c.ID, ExitCode: -1, Err: err}
		}
		markDone, reboot := false, false
		switch {
		case c.Reboot == Never && code == 0:
			markDone = true
		case c.Reboot == Always && code == 0:
			markDone, reboot = true, true
		case c.Reboot == OnRequest && code == 0:
			markDone = true
		case c.Reboot == OnRequest && code == 1:
			markDone, reboot = true, true
		case c.Reboot == OnRequest && code == 2:
			reboot = true
		default:
			return res, &CommandError{ID: c.ID, ExitCode: code, Err: ErrExitStatus}
		}
		if markDone {
			p.Done = append(p.Done, c.ID)
		}
		if reboot {
			if p.Reboots >= maxReboots {
				return res, &CommandError{ID: c.ID, ExitCode: code, Err: ErrRebootLoop}
			}
			p.Reboots++
		}
		if err := p.save(r.StatePath); err != nil {
			return res, err
		}
		if reboot {
			res.Outcome = RebootRequired
			res.Next = r.next(cmds, p) // "" if the last command asked: the next Run finishes at once
			return res, nil
		}
	}
	res.Outcome = Finished
	return res, nil
}

// next returns the first command not done.
func (r *Runner) next(cmds []Command, p Progress) string {
	done := make(map[string]bool, len(p.Done))
	for _, id := range p.Done {
		done[id] = true
	}
	for _, c := range cmds {
		if !done[c.ID] {
			return c.ID
		}
	}
	return ""
}

func (r *Runner) exec(ctx context.Context, c Command, log io.Writer) (int, error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = r.Timeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if log != io.Discard {
		fmt.Fprintf(log, "==> %s %s\n", time.Now().UTC().Format(time.RFC3339), c)
	}
	return r.Exec.Exec(ctx, c, log)
}

// openLog opens LogPath for appending, as the seed's ">> C:\...\log".
func (r *Runner) openLog() (io.Writer, func(), error) {
	if r.LogPath == "" {
		return io.Discard, func() {}, nil
	}
	f, err := os.OpenFile(r.LogPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
