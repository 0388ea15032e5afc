# sdnfabric: one Makefile for seven Go modules.
#
#   make run     the fabric's main job on the embedded default (no root)
#   make test    install test peers where possible, then vet and race-test
#                every module, in the workspace and alone (GOWORK=off)
#   make bench   benchmarks of every module and of the peer comparisons
#   make fuzz    each fuzz target for FUZZTIME (default 30s)
#   make cover   a coverage profile and summary per module
#   make lab-bench  ours against a kernel-only build of the seed (root, Linux; not in make test)

MODULES   := offload vxlan bgp slb rras provision fabric
# Benchmark-only modules that compare us with peers; never released.
PEERBENCH := $(wildcard */peerbench)
FUZZTIME  ?= 30s
BENCHTIME ?= 1s
COUNT     ?= 1
GO        ?= go

.PHONY: run test test-deps vet test-work test-purego test-alone bench fuzz cover tidy lab-bench

run:
	$(GO) run ./fabric/cmd/fabric run

test: test-deps vet test-work test-purego test-alone

# Debian packages for the interop tests (real peers). Needs root and apt;
# elsewhere the tests that need them skip and say why.
test-deps:
	@scripts/install-test-deps.sh

# Vet for macOS and Windows too: users build the libraries and the client there.
vet:
	@set -e; for m in $(MODULES); do echo "== vet $$m"; (cd $$m && $(GO) vet ./... && GOOS=darwin $(GO) vet ./... && GOOS=windows $(GO) vet ./...); done

test-work:
	@set -e; for m in $(MODULES); do echo "== test $$m (workspace, -race)"; (cd $$m && $(GO) test -race -count=1 ./...); done

# The pure-Go fallbacks of assembly routines must stay correct too.
test-purego:
	@echo "== test offload (-tags purego)"; cd offload && $(GO) test -tags purego -count=1 ./...

# Each module must build, vet and pass alone, as a user who `go get`s it sees it.
test-alone:
	@set -e; for m in $(MODULES); do echo "== test $$m (GOWORK=off)"; (cd $$m && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test -count=1 ./...); done
	@set -e; for p in $(PEERBENCH); do echo "== vet $$p (peer benchmarks)"; (cd $$p && GOWORK=off $(GO) vet ./...); done

bench:
	@set -e; for m in $(MODULES) $(PEERBENCH); do echo "== bench $$m"; (cd $$m && GOWORK=$$(case $$m in */peerbench) echo off;; *) echo "";; esac) $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(COUNT) ./...); done

# Root and Linux: iperf3 and wrk through ours and a kernel-only build, side by side.
LABBENCH ?= -rounds 3
lab-bench:
	@scripts/lab-bench.sh $(LABBENCH)

fuzz:
	@scripts/fuzz.sh $(FUZZTIME) $(MODULES)

cover:
	@mkdir -p .cover; set -e; for m in $(MODULES); do (cd $$m && $(GO) test -count=1 -coverprofile=../.cover/$$m.out ./... >/dev/null && $(GO) tool cover -func=../.cover/$$m.out | tail -1 | sed "s/^/$$m: /"); done

tidy:
	@set -e; for m in $(MODULES) $(PEERBENCH); do (cd $$m && GOWORK=off $(GO) mod tidy); done
