#!/usr/bin/env bash
# Installs the real peers the interop tests run against, from Debian packages.
# Without root or apt it says so and returns: those tests then skip with a reason.
set -euo pipefail

# The peers, and the tools the namespace tests run next to them (curl,
# python3 and sysctl are not in a minimal Debian image).
pkgs=(iproute2 iputils-ping bird2 frr gobgpd exabgp tshark tcpdump etcd-server etcd-client iperf3 nftables wrk
	curl python3 procps)

if [ "$(uname -s)" != Linux ]; then echo "test-deps: not Linux; interop tests will skip"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "test-deps: not root; interop tests will skip"; exit 0; fi
if ! command -v apt-get >/dev/null; then echo "test-deps: no apt-get; interop tests will skip"; exit 0; fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "test-deps: all present"; exit 0; fi

echo "test-deps: installing ${missing[*]}"
# Keep packages from starting daemons in the root namespace, and tshark from
# asking; the policy goes again afterwards if we put it there.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive

# A fresh machine may be running its daily apt job (wait for its lock), and
# a mirror may fail for a moment (retry each download, then the whole step).
apt=(apt-get -qq -o Acquire::Retries=5 -o DPkg::Lock::Timeout=600)
retry() {
	local i
	for i in 1 2 3; do
		"$@" && return 0
		echo "test-deps: ${*:1:6}... failed (attempt $i of 3)" >&2
		[ "$i" = 3 ] || sleep $((i * 10))
	done
	return 1
}
retry "${apt[@]}" update
retry "${apt[@]}" -y install --no-install-recommends "${missing[@]}" >/dev/null
echo "test-deps: done"
