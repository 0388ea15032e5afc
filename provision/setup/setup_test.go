package setup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// machine is a fake computer: a disk of key=value pairs that survives
// reboots and crashes, and a script saying what each command does.
type machine struct {
	disk  map[string]string
	boots int
	calls int
	// crashAt, if > 0, makes the crashAt-th Exec call lose power;
	// crashAfterEffect says whether the command's effect reached the disk.
	crashAt          int
	crashAfterEffect bool
}

var errPowerLoss = errors.New("power lost")

// Exec interprets Line as "set KEY VALUE [exit N | exit2once]".
func (m *machine) Exec(_ context.Context, c Command, log io.Writer) (int, error) {
	m.calls++
	f := strings.Fields(c.Line)
	crash := m.crashAt > 0 && m.calls == m.crashAt
	if crash && !m.crashAfterEffect {
		return -1, errPowerLoss
	}
	m.disk[f[1]] = f[2] // idempotent effect
	fmt.Fprintln(log, "set", f[1])
	if crash {
		return -1, errPowerLoss
	}
	if len(f) > 3 && f[3] == "exit2once" { // asks for a reboot and a rerun until it has seen one
		key := "rebooted-for-" + c.ID
		if m.disk[key] == "" {
			m.disk[key] = "pending"
			return 2, nil
		}
		if m.disk[key] == "pending" && m.boots == 0 {
			return 2, nil
		}
		m.disk[key] = "done"
		return 0, nil
	}
	if len(f) > 4 && f[3] == "exit" {
		var code int
		fmt.Sscan(f[4], &code)
		return code, nil
	}
	return 0, nil
}

func newRunner(t testing.TB, m Executor) *Runner {
	dir := t.TempDir()
	return &Runner{Exec: m, StatePath: filepath.Join(dir, "progress.json"), LogPath: filepath.Join(dir, "setup.log"), Logger: quiet}
}

func TestRebootSemantics(t *testing.T) {
	m := &machine{disk: map[string]string{}}
	r := newRunner(t, m)
	cmds := []Command{
		{ID: "a", Line: "set a 1"},
		{ID: "b", Line: "set b 1", Reboot: Always},
		{ID: "c", Line: "set c 1 exit 1", Reboot: OnRequest},
		{ID: "d", Line: "set d 1 exit2once", Reboot: OnRequest},
		{ID: "e", Line: "set e 1"},
	}
	ctx := context.Background()
	var got []Result
	for range 10 {
		res, err := r.Run(ctx, cmds)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res)
		if res.Outcome == Finished {
			break
		}
		m.boots++
	}
	want := []Result{
		{Outcome: RebootRequired, Ran: []string{"a", "b"}, Next: "c"},
		{Outcome: RebootRequired, Ran: []string{"c"}, Next: "d"},
		{Outcome: RebootRequired, Ran: []string{"d"}, Next: "d"}, // exit 2: rerun after reboot
		{Outcome: Finished, Ran: []string{"d", "e"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	// Running again does nothing.
	res, err := r.Run(ctx, cmds)
	if err != nil || res.Outcome != Finished || len(res.Ran) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	log, _ := os.ReadFile(r.LogPath)
	if n := strings.Count(string(log), "==> "); n != 6 {
		t.Fatalf("log has %d command headers:\n%s", n, log)
	}
}

func TestFailureIsRetried(t *testing.T) {
	m := &machine{disk: map[string]string{}}
	r := newRunner(t, m)
	cmds := []Command{{ID: "a", Line: "set a 1"}, {ID: "b", Line: "set b 1 exit 5", Reboot: OnRequest}}
	_, err := r.Run(context.Background(), cmds)
	var ce *CommandError
	if !errors.Is(err, ErrExitStatus) || !errors.As(err, &ce) || ce.ID != "b" || ce.ExitCode != 5 {
		t.Fatal(err)
	}
	res, _ := r.Run(context.Background(), cmds)
	if !cmp.Equal(res.Ran, []string{"b"}) {
		t.Fatalf("%+v", res)
	}
}

func TestRebootLoop(t *testing.T) {
	m := &machine{disk: map[string]string{}}
	r := newRunner(t, m)
	r.MaxReboots = 3
	cmds := []Command{{ID: "a", Line: "set a 1 exit 2", Reboot: OnRequest}}
	var err error
	for range 5 {
		if _, err = r.Run(context.Background(), cmds); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrRebootLoop) {
		t.Fatal(err)
	}
}

func TestPlanChangedAndBadState(t *testing.T) {
	m := &machine{disk: map[string]string{}}
	r := newRunner(t, m)
	if _, err := r.Run(context.Background(), []Command{{ID: "a", Line: "set a 1"}}); err != nil {
		t.Fatal(err)
	}
	_, err := r.Run(context.Background(), []Command{{ID: "a", Line: "set a 2"}})
	if !errors.Is(err, ErrPlanChanged) {
		t.Fatal(err)
	}
	os.WriteFile(r.StatePath, []byte(`{"version":1,"plan":`), 0o644)
	_, err = r.Run(context.Background(), []Command{{ID: "a", Line: "set a 1"}})
	var se *StateError
	if !errors.Is(err, ErrBadState) || !errors.As(err, &se) || se.Offset == 0 {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), []Command{{ID: "a"}, {ID: "a"}}); !errors.Is(err, ErrBadPlan) {
		t.Fatal(err)
	}
}

// Property: a run interrupted by a power loss at any step (before or after
// the command's effect reached the disk) and resumed, through any number
// of reboots, ends in the same state as a run never interrupted.
func TestPropertyInterruptedEqualsUninterrupted(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 8).Draw(t, "commands")
		var cmds []Command
		for i := range n {
			c := Command{ID: fmt.Sprintf("c%d", i), Line: fmt.Sprintf("set k%d v%d", i, i)}
			switch rapid.IntRange(0, 3).Draw(t, "kind") {
			case 1:
				c.Reboot = Always
			case 2:
				c.Reboot, c.Line = OnRequest, c.Line+" exit 1"
			case 3:
				c.Reboot, c.Line = OnRequest, c.Line+" exit2once"
			}
			cmds = append(cmds, c)
		}
		drive := func(m *machine) (map[string]string, Progress) {
			dir, err := os.MkdirTemp("", "setup-prop")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			state := filepath.Join(dir, "progress.json")
			for range 100 {
				r := &Runner{Exec: m, StatePath: state, Logger: quiet} // a fresh process after every boot
				res, err := r.Run(context.Background(), cmds)
				if err != nil && !errors.Is(err, errPowerLoss) {
					t.Fatal(err)
				}
				if err == nil && res.Outcome == Finished {
					p, err := loadProgress(state)
					if err != nil {
						t.Fatal(err)
					}
					return m.disk, p
				}
				m.boots++
			}
			t.Fatal("never finished")
			return nil, Progress{}
		}
		clean := &machine{disk: map[string]string{}}
		wantDisk, wantProgress := drive(clean)
		crashed := &machine{disk: map[string]string{},
			crashAt:          rapid.IntRange(1, clean.calls).Draw(t, "crashAt"),
			crashAfterEffect: rapid.Bool().Draw(t, "afterEffect")}
		gotDisk, gotProgress := drive(crashed)
		if diff := cmp.Diff(wantDisk, gotDisk); diff != "" {
			t.Fatalf("disk differs:\n%s", diff)
		}
		if diff := cmp.Diff(wantProgress.Done, gotProgress.Done); diff != "" {
			t.Fatalf("progress differs:\n%s", diff)
		}
	})
}

func TestLocalExecutor(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test commands are POSIX shell")
	}
	if _, err := exec.LookPath("/bin/sh"); err != nil {
		t.Skip("needs /bin/sh")
	}
	var log bytes.Buffer
	code, err := Local{}.Exec(context.Background(), Command{ID: "x", Line: "echo hello; echo oops >&2; exit 3"}, &log)
	if err != nil || code != 3 || log.String() != "hello\noops\n" {
		t.Fatalf("%d %v %q", code, err, log.String())
	}
	code, err = Local{}.Exec(context.Background(), Command{ID: "y", Argv: []string{"/bin/sh", "-c", "exit 0"}}, &log)
	if err != nil || code != 0 {
		t.Fatal(code, err)
	}
	r := newRunner(t, Local{})
	r.Timeout = 100 * time.Millisecond
	start := time.Now()
	_, err = r.Run(context.Background(), []Command{{ID: "slow", Line: "sleep 10"}})
	var ce *CommandError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ce) || ce.ID != "slow" {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("timeout not enforced")
	}
	r2 := newRunner(t, Local{})
	if _, err := r2.Run(context.Background(), []Command{{ID: "hi", Line: "echo from-setup"}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(r2.LogPath); !bytes.Contains(b, []byte("from-setup\n")) {
		t.Fatalf("log %q", b)
	}
}

type noop struct{}

func (noop) Exec(context.Context, Command, io.Writer) (int, error) { return 0, nil }

// BenchmarkRunnerPerInstance is the runner's own cost for one instance's
// setup of 10 commands with a no-op executor: plan checks, 10 atomic
// progress writes (temp file, fsync, rename) and logging.
func BenchmarkRunnerPerInstance(b *testing.B) {
	cmds := make([]Command, 10)
	for i := range cmds {
		cmds[i] = Command{ID: fmt.Sprintf("oobeSystem/FirstLogonCommands/%d", i+1), Line: "PowerShell.exe C:\\setup.ps1"}
	}
	dir := b.TempDir()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r := &Runner{Exec: noop{}, StatePath: filepath.Join(dir, fmt.Sprintf("p%d.json", i)), Logger: quiet}
		if res, err := r.Run(context.Background(), cmds); err != nil || res.Outcome != Finished {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkRunnerResumeDone is the cost of a Run that finds everything
// done (the "running twice does nothing twice" path).
func BenchmarkRunnerResumeDone(b *testing.B) {
	cmds := make([]Command, 10)
	for i := range cmds {
		cmds[i] = Command{ID: fmt.Sprintf("c%d", i), Line: "x"}
	}
	r := &Runner{Exec: noop{}, StatePath: filepath.Join(b.TempDir(), "p.json"), Logger: quiet}
	if _, err := r.Run(context.Background(), cmds); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if res, err := r.Run(context.Background(), cmds); err != nil || len(res.Ran) != 0 {
			b.Fatal(res, err)
		}
	}
}
