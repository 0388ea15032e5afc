package controller

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/boltstore"
	"github.com/sdnfabric/sdnfabric/fabric/store/etcdstore"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

// StoreFile is the name of the default bolt store in a data directory.
const StoreFile = "fabric.db"

// OpenStore opens the store a --store flag names:
//
//	""                        the bolt file dataDir/fabric.db (the default)
//	/path/file.db, bolt:PATH  a bolt file
//	etcd://host:port[,host:port...]  an etcd v3 cluster
//	mem                       an in-memory store (tests; lost on exit)
func OpenStore(spec, dataDir string, log *slog.Logger) (store.Store, error) {
	switch {
	case spec == "mem":
		return memstore.New(memstore.Options{}), nil
	case strings.HasPrefix(spec, "etcd://"):
		var eps []string
		for ep := range strings.SplitSeq(strings.TrimPrefix(spec, "etcd://"), ",") {
			if ep == "" {
				return nil, fmt.Errorf("store %q: empty etcd endpoint", spec)
			}
			eps = append(eps, "http://"+ep)
		}
		return etcdstore.Open(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second},
			etcdstore.Options{Logger: log})
	case strings.Contains(spec, "://"):
		return nil, fmt.Errorf("store %q: unknown scheme (want a file path, etcd://host:port or mem)", spec)
	}
	path := strings.TrimPrefix(spec, "bolt:")
	if path == "" {
		if dataDir == "" {
			return nil, fmt.Errorf("no store and no data directory given")
		}
		path = filepath.Join(dataDir, StoreFile)
	}
	return boltstore.Open(path, boltstore.Options{Logger: log})
}
