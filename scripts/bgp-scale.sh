#!/bin/sh
# Runs the BGP scale benchmark of issue 5: the same synthetic table fed over
# TCP into this module's speaker and RIB, into BIRD 2 and into GoBGP, one
# after another, reporting time to converge and peak resident memory.
#   1. a full table: 1,000,000 IPv4 + 200,000 IPv6 prefixes from one peer
#   2. 50 peers x 20,000 prefixes
# Needs root (it creates two network namespaces) and the bird2 and gobgpd
# Debian packages (scripts/install-test-deps.sh installs them).
set -eu
cd "$(dirname "$0")/../bgp"
bin=$(mktemp -d)/bgpscale
go build -o "$bin" ./cmd/bgpscale
echo "== full table: 1.2M prefixes, 1 peer"
"$bin" -prefixes 1200000 -peers 1 "$@"
echo "== 50 peers x 20,000 prefixes"
"$bin" -prefixes 20000 -peers 50 "$@"
