package setup_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sdnfabric/sdnfabric/provision/setup"
)

// printer pretends to run commands; the one with Reboot OnRequest exits 1
// (reboot, then continue with the next command).
type printer struct{}

func (printer) Exec(_ context.Context, c setup.Command, _ io.Writer) (int, error) {
	fmt.Println("run", c.ID)
	if c.Reboot == setup.OnRequest {
		return 1, nil
	}
	return 0, nil
}

func Example() {
	dir, _ := os.MkdirTemp("", "setup-example")
	defer os.RemoveAll(dir)
	r := &setup.Runner{Exec: printer{}, StatePath: filepath.Join(dir, "progress.json"),
		Logger: slog.New(slog.DiscardHandler)}
	cmds := []setup.Command{
		{ID: "1", Line: `PowerShell.exe -command set-executionpolicy remotesigned -force`},
		{ID: "2", Line: `C:\Tanzanite\install.cmd`, Reboot: setup.OnRequest},
		{ID: "3", Line: `PowerShell.exe C:\Tanzanite\Register.ps1`},
	}
	for {
		res, err := r.Run(context.Background(), cmds)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%v next=%q\n", res.Outcome, res.Next)
		if res.Outcome == setup.Finished {
			break
		}
	}
	res, _ := r.Run(context.Background(), cmds) // again: nothing to do
	fmt.Println(res.Outcome, len(res.Ran))
	// Output:
	// run 1
	// run 2
	// RebootRequired next="3"
	// run 3
	// Finished next=""
	// Finished 0
}
