//go:build linux

package lab

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// startFRR runs FRR's zebra (which installs routes into the kernel) and
// bgpd with a configuration generated for g. zebra runs as the frr user,
// so the directory becomes frr's.
func (r *kernelRouter) startFRR(zebra, bgpd string, g runtime.Gateway, holdTime time.Duration) error {
	if u, err := user.Lookup("frr"); err == nil {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(r.dir, uid, gid); err != nil {
			return err
		}
	}
	if err := os.Chmod(r.dir, 0o755); err != nil {
		return err
	}
	conf := filepath.Join(r.dir, "frr.conf")
	if err := os.WriteFile(conf, []byte(frrConfig(g, holdTime)), 0o644); err != nil {
		return err
	}
	zserv := filepath.Join(r.dir, "zserv.api")
	if err := r.run("zebra", zebra, "-P", "0", "-f", conf, "-i", filepath.Join(r.dir, "zebra.pid"),
		"-z", zserv, "--vty_socket", r.dir, "--log", "file:"+filepath.Join(r.dir, "zebra.log")); err != nil {
		return err
	}
	// bgpd needs zebra's socket.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		if _, err := os.Stat(zserv); err == nil {
			break
		}
		select {
		case <-r.daemons[0].exited:
			return fmt.Errorf("%s: zebra exited; logs:\n%s", r.name, r.log())
		case <-ctx.Done():
			return fmt.Errorf("%s: zebra made no %s; logs:\n%s", r.name, zserv, r.log())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return r.run("bgpd", bgpd, "-S", "-P", "0", "-f", conf, "-i", filepath.Join(r.dir, "bgpd.pid"),
		"-z", zserv, "--vty_socket", r.dir, "--log", "file:"+filepath.Join(r.dir, "bgpd.log"))
}
