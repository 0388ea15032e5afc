package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
)

// defaultDataDir is FABRIC_DATA_DIR, else /var/lib/sdnfabric for root,
// else ~/.local/state/sdnfabric.
func defaultDataDir() string {
	if d := os.Getenv("FABRIC_DATA_DIR"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/lib/sdnfabric"
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "sdnfabric")
	}
	return "sdnfabric"
}

// connFlags are the flags of every client command.
type connFlags struct {
	server, token, dataDir, ca string
}

func addConnFlags(fs *flag.FlagSet) *connFlags {
	c := &connFlags{}
	fs.StringVar(&c.server, "server", os.Getenv("FABRIC_SERVER"), "controller URL (env FABRIC_SERVER; default: the data directory's server file)")
	fs.StringVar(&c.token, "token", os.Getenv("FABRIC_TOKEN"), "bearer token (env FABRIC_TOKEN; default: the data directory's token file)")
	fs.StringVar(&c.dataDir, "data-dir", defaultDataDir(), "the controller's data directory (env FABRIC_DATA_DIR)")
	fs.StringVar(&c.ca, "ca", os.Getenv("FABRIC_CA"), "PEM certificate to trust for https (env FABRIC_CA; default: the data directory's tls.crt)")
	return c
}

// client resolves the server, token and TLS trust and returns a client.
func (c *connFlags) client() (*api.Client, error) {
	server := c.server
	if server == "" {
		b, err := os.ReadFile(filepath.Join(c.dataDir, controller.ServerFile))
		switch {
		case err == nil:
			server = strings.TrimSpace(string(b))
		case errors.Is(err, fs.ErrNotExist):
			server = "http://" + controller.DefaultListen
		default:
			return nil, err
		}
	}
	token := c.token
	if token == "" {
		t, err := api.ReadToken(filepath.Join(c.dataDir, api.TokenFile))
		if err != nil {
			return nil, fmt.Errorf("no token: give --token or FABRIC_TOKEN, or a --data-dir holding one (%w)", err)
		}
		token = t
	}
	var tlsConfig *tls.Config
	if strings.HasPrefix(server, "https://") {
		ca := c.ca
		if ca == "" {
			if p := filepath.Join(c.dataDir, api.CertFile); fileExists(p) {
				ca = p
			}
		}
		if ca != "" {
			pool, err := api.CertPool(ca)
			if err != nil {
				return nil, err
			}
			tlsConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
	}
	return api.NewClient(server, token, tlsConfig)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// parseFlags parses args, allowing flags after positional arguments
// ("get hosts -o yaml").
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
