package etcdstore_test

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/etcdstore"
)

// Open a store on an etcd cluster, under the namespace /sdnfabric. (Not
// run: it needs an etcd listening on 127.0.0.1:2379.)
func ExampleOpen() {
	s, err := etcdstore.Open(clientv3.Config{
		Endpoints:   []string{"http://127.0.0.1:2379"},
		DialTimeout: 5 * time.Second,
	}, etcdstore.Options{Namespace: "/sdnfabric"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rev, err := s.Put(ctx, "/v1/hosts/h1", []byte(`{"pa":"10.0.0.1"}`), store.MustNotExist)
	fmt.Println(rev, err)
}
