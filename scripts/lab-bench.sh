#!/usr/bin/env bash
# Our data plane against the kernel's on the same machine, in one run:
# builds the seed topology with ours (fabric lab, the nodes in this process)
# and from kernel parts only (bridges, veths, kernel VXLAN, nftables, BIRD),
# one after the other for each round, runs the same load on both (iperf3 1
# and 8 streams each way, wrk to a small page, the machine's CPU per byte)
# and prints the medians and the ratio ours/kernel.
#
#   sudo scripts/lab-bench.sh [-rounds 5] [-duration 5s] [-cpuprofile ours.pprof]
#
# Needs root, Linux, iproute2, nft, bird, iperf3 and wrk
# (scripts/install-test-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/fabric
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./fabric/cmd/fabric
"$bin" lab bench "$@"
