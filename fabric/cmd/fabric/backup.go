package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

// maxBackupFile bounds a backup file restore reads (it holds it in
// memory, as store.Restore does).
const maxBackupFile = 1 << 30

// runBackup saves the whole store, from a running controller, to a file:
// written beside it and renamed into place, mode 0600.
func runBackup(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric backup", flag.ContinueOnError)
	fs.SetOutput(out)
	conn := addConnFlags(fs)
	file := fs.String("f", "", "backup file to write")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("backup: want -f FILE")
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := c.Backup(ctx, &buf); err != nil {
		return err
	}
	// Verify before keeping it: a cut connection fails the checksum.
	info, err := store.Restore(ctx, memstore.New(memstore.Options{}), bytes.NewReader(buf.Bytes()))
	if err != nil {
		return fmt.Errorf("backup: the controller's backup does not verify: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(*file), ".fabric-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
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
	if err := os.Rename(tmp.Name(), *file); err != nil {
		return err
	}
	fmt.Fprintf(out, "backed up %d keys at revision %d to %s\n", info.Keys, info.Revision, *file)
	return nil
}

// runRestore restores a backup into an empty store, with the controller
// stopped (it holds the bolt file). The backup is verified (checksum)
// and its state validated before the store is touched.
func runRestore(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric restore", flag.ContinueOnError)
	fs.SetOutput(out)
	file := fs.String("f", "", "backup file to read")
	storeSpec := fs.String("store", "", "store to restore into: a bolt file, etcd://host:port, (default: the data directory's fabric.db)")
	dataDir := fs.String("data-dir", defaultDataDir(), "the controller's data directory (env FABRIC_DATA_DIR)")
	fs.Usage = func() {
		fmt.Fprintln(out, "usage: fabric restore -f FILE [--store SPEC] [--data-dir DIR]\n\nRestores into an empty store; stop the controller first.")
		fs.PrintDefaults()
	}
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		fs.Usage()
		return errors.New("restore: want -f FILE")
	}
	if *storeSpec == "mem" {
		return errors.New("restore: into an in-memory store that ends with this command?")
	}
	data, err := readBounded(*file, maxBackupFile)
	if err != nil {
		return err
	}
	if len(data) > maxBackupFile {
		return fmt.Errorf("restore: %s is larger than %d bytes", *file, maxBackupFile)
	}
	if err := validateBackup(ctx, data); err != nil {
		return fmt.Errorf("restore: %s: %w", *file, err)
	}
	st, err := controller.OpenStore(*storeSpec, *dataDir, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	info, err := store.Restore(ctx, st, bytes.NewReader(data))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "restored %d keys (backed up at revision %d)\n", info.Keys, info.Revision)
	return nil
}

// validateBackup restores data into memory and validates its state as
// the controller validates writes.
func validateBackup(ctx context.Context, data []byte) error {
	mem := memstore.New(memstore.Options{})
	defer mem.Close()
	if _, err := store.Restore(ctx, mem, bytes.NewReader(data)); err != nil {
		return err
	}
	kvs, _, err := mem.List(ctx, model.KeyPrefix)
	if err != nil {
		return err
	}
	var objs []model.Object
	var errs []error
	for _, kv := range kvs {
		var o model.Object
		if err := json.Unmarshal(kv.Value, &o); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", kv.Key, err))
			continue
		}
		if err := model.ValidateObject(&o); err != nil {
			errs = append(errs, err)
		}
		if o.Kind != model.KindEvent {
			objs = append(objs, o)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := model.ValidateState(objs); err != nil {
		return fmt.Errorf("the backed-up state is invalid: %w", err)
	}
	return nil
}
