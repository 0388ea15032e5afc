package setup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxStateSize bounds the progress file read back: a plan of 500
// commands with long IDs is a few tens of kilobytes.
const maxStateSize = 1 << 20

// Progress is what the runner persists after every step.
type Progress struct {
	Version int      `json:"version"`
	Plan    string   `json:"plan"`    // digest of the command list
	Done    []string `json:"done"`    // IDs completed, in order
	Reboots int      `json:"reboots"` // reboots requested so far
}

const progressVersion = 1

// loadProgress reads path; a missing file is a fresh start.
func loadProgress(path string) (Progress, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Progress{Version: progressVersion}, nil
	}
	if err != nil {
		return Progress{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return Progress{}, err
	}
	if len(b) > maxStateSize {
		return Progress{}, &StateError{Path: path, Err: ErrBadState, Detail: fmt.Sprintf("larger than %d bytes", maxStateSize)}
	}
	var p Progress
	if err := json.Unmarshal(b, &p); err != nil {
		e := &StateError{Path: path, Err: ErrBadState, Detail: err.Error()}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			e.Offset = se.Offset
		}
		return Progress{}, e
	}
	if p.Version != progressVersion {
		return Progress{}, &StateError{Path: path, Err: ErrBadState, Detail: fmt.Sprintf("version %d, want %d", p.Version, progressVersion)}
	}
	return p, nil
}

// save writes p atomically: a temporary file in the same directory,
// synced, then renamed over path, then the directory synced. A crash
// leaves either the old file or the new one, never a torn one.
func (p Progress) save(path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every platform syncs directories
		d.Close()
	}
	return nil
}
