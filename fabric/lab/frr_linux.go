//go:build linux

package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// startFRR runs FRR's zebra (which installs routes into the kernel), bfdd
// with BFD (bfd not zero) and bgpd, with a configuration generated for g.
// bins are the daemons' paths (frrDaemons). zebra and bfdd run as the frr
// user, so the directory becomes frr's.
func (r *kernelRouter) startFRR(bins []string, g runtime.Gateway, holdTime, bfd time.Duration) error {
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
	if err := os.WriteFile(conf, []byte(frrConfig(g, holdTime, bfd)), 0o644); err != nil {
		return err
	}
	zserv := filepath.Join(r.dir, "zserv.api")
	// Every daemon reads the whole file (and warns about the others'
	// lines), and serves vtysh in the directory.
	common := func(name string) []string {
		return []string{"-P", "0", "-f", conf, "-i", filepath.Join(r.dir, name+".pid"), "-z", zserv,
			"--vty_socket", r.dir, "--log", "file:" + filepath.Join(r.dir, name+".log")}
	}
	if err := r.run("zebra", append([]string{bins[0]}, common("zebra")...)...); err != nil {
		return err
	}
	// bfdd and bgpd need zebra's socket.
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
	if bfd > 0 {
		if err := r.run("bfdd", append(append([]string{bins[1]}, common("bfdd")...), "--bfdctl", filepath.Join(r.dir, "bfdd.sock"))...); err != nil {
			return err
		}
	}
	return r.run("bgpd", append([]string{bins[len(bins)-1], "-S"}, common("bgpd")...)...)
}

// frrDaemons are the FRR daemons a router runs: zebra, bfdd with BFD, and
// bgpd (last).
func frrDaemons(bfd time.Duration) []string {
	if bfd > 0 {
		return []string{frrDir + "/zebra", frrDir + "/bfdd", frrDir + "/bgpd"}
	}
	return []string{frrDir + "/zebra", frrDir + "/bgpd"}
}

// vtysh runs an FRR command in the router's daemons (vtysh -c).
func (r *kernelRouter) vtysh(ctx context.Context, command string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, "vtysh", "--vty_socket", r.dir, "-c", command).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("vtysh -c %q in %s: %w: %s", command, r.ns, err, out)
	}
	return out, nil
}

// frrBFDPeers returns the BFD sessions of an FRR router.
func (r *kernelRouter) frrBFDPeers(ctx context.Context) ([]FRRBFDPeer, error) {
	out, err := r.vtysh(ctx, "show bfd peers json")
	if err != nil {
		return nil, err
	}
	return parseFRRBFDPeers(out)
}
