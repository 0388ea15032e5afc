#!/usr/bin/env bash
# Installs the real peers the interop tests run against, from Debian packages.
# Without root or apt it says so and returns: those tests then skip with a reason.
set -euo pipefail

pkgs=(iproute2 iputils-ping bird2 frr gobgpd exabgp tshark tcpdump etcd-server etcd-client iperf3 nftables wrk)

if [ "$(uname -s)" != Linux ]; then echo "test-deps: not Linux; interop tests will skip"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "test-deps: not root; interop tests will skip"; exit 0; fi
if ! command -v apt-get >/dev/null; then echo "test-deps: no apt-get; interop tests will skip"; exit 0; fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "test-deps: all present"; exit 0; fi

echo "test-deps: installing ${missing[*]}"
# Keep packages from starting daemons in the root namespace, and tshark from asking.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
fi
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "test-deps: done"
