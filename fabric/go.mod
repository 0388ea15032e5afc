module github.com/sdnfabric/sdnfabric/fabric

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/sdnfabric/sdnfabric/offload v0.0.0
	github.com/sdnfabric/sdnfabric/provision v0.0.0
	go.etcd.io/bbolt v1.5.0
	go.etcd.io/etcd/api/v3 v3.7.3
	go.etcd.io/etcd/client/v3 v3.7.3
	go.yaml.in/yaml/v3 v3.0.6
	gvisor.dev/gvisor v0.0.0-20260224225140-573d5e7127a8
	pgregory.net/rapid v1.3.0
)

require (
	github.com/google/btree v1.1.2 // indirect
	golang.org/x/exp v0.0.0-20231110203233-9a3e6036ecaa // indirect
	golang.org/x/time v0.12.0 // indirect
)

require (
	github.com/coreos/go-semver v0.3.1 // indirect
	github.com/coreos/go-systemd/v22 v22.7.0 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.29.0 // indirect
	github.com/sdnfabric/sdnfabric/bgp v0.0.0
	github.com/sdnfabric/sdnfabric/rras v0.0.0
	github.com/sdnfabric/sdnfabric/slb v0.0.0
	github.com/sdnfabric/sdnfabric/vxlan v0.0.0
	go.etcd.io/etcd/client/pkg/v3 v3.7.3 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.27.1 // indirect
	golang.org/x/net v0.61.0
	golang.org/x/sys v0.49.0
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20260803160001-6ac0973c030d // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260803160001-6ac0973c030d // indirect
	google.golang.org/grpc v1.83.2 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)

replace (
	github.com/sdnfabric/sdnfabric/bgp => ../bgp
	github.com/sdnfabric/sdnfabric/offload => ../offload
	github.com/sdnfabric/sdnfabric/provision => ../provision
	github.com/sdnfabric/sdnfabric/rras => ../rras
	github.com/sdnfabric/sdnfabric/slb => ../slb
	github.com/sdnfabric/sdnfabric/vxlan => ../vxlan
)
