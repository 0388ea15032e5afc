#!/usr/bin/env bash
# Runs every fuzz target of the given modules for a fixed time each.
# usage: scripts/fuzz.sh FUZZTIME MODULE...
set -euo pipefail
t=$1; shift
for m in "$@"; do
	(
		cd "$m"
		for pkg in $(go list ./...); do
			for f in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
				echo "== fuzz $pkg $f ($t)"
				go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime 5s "$pkg"
			done
		done
	)
done
