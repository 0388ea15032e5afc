module github.com/sdnfabric/sdnfabric/bgp/peerbench

go 1.26

require github.com/sdnfabric/sdnfabric/bgp v0.0.0

require github.com/osrg/gobgp/v4 v4.8.0

replace github.com/sdnfabric/sdnfabric/bgp => ../
