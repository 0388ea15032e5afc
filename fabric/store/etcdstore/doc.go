// Package etcdstore is the store.Store on an etcd v3 cluster
// (go.etcd.io/etcd/client/v3), for a controller that must survive the
// loss of one machine.
//
// The store's revisions are etcd's: Put and Delete conditions compare the
// key's etcd mod revision (MustNotExist compares its create revision with
// 0), Apply is one etcd transaction, Watch is an etcd watch from
// afterRevision+1, and etcd's compaction errors become store.ErrCompacted.
// Because the revision counter is the cluster's, revisions are strictly
// increasing but not contiguous when other clients write.
//
// Every key lives under Options.Namespace (default "/sdnfabric"), so
// several fabrics, or tests, can share one cluster. Compact compacts the
// whole cluster, not only the namespace.
package etcdstore
