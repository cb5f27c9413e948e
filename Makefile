# One canonical test command: `make test` (= go test -race -count=1 -timeout $(TEST_TIMEOUT) ./...). .ci/run calls it.
GO        ?= go
BIN       ?= bin/kubectl-netstat
FUZZTIME  ?= 5s
# go test's default 10-minute limit per package is too short for the root
# e2e packages on a loaded 2-core CI machine; this only catches hangs.
TEST_TIMEOUT ?= 45m

.PHONY: all build test vet fuzz-smoke demo demo-down readme-examples readme-examples-update bench bench-fleet

all: build

# Static, like the release binaries: a cgo build (the default where a C
# compiler is installed) peaked 19 to 25 MiB higher on a host-wide -tulpn here.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/kubectl-netstat

# The e2e package (./e2e) needs root and /usr/bin/netstat; without them its
# root tests skip and say why. hack/testsum prints what go test prints, then
# one line listing the skipped tests and their reasons; it keeps go test's
# exit status.
test:
	$(GO) run ./hack/testsum -race -count=1 -timeout $(TEST_TIMEOUT) ./...

# ./... skips testdata/, so the test helper program is named explicitly.
vet:
	$(GO) vet ./... ./testdata/sockd
	GOOS=darwin $(GO) vet ./...
	GOOS=windows $(GO) vet ./...

# Runs every FuzzXxx in the module for FUZZTIME each (go test -fuzz takes
# one target per run).
# Every target runs even after one fails (an engine hiccup such as "context
# deadline exceeded" must not hide the targets after it); the status is 1 when
# any failed, and a real crasher is left under testdata/fuzz/.
fuzz-smoke:
	@failed=""; \
	for dir in $$(grep -rlE '^func Fuzz[A-Za-z0-9_]*\(' --include='*_test.go' . | grep -v '/testdata/' | xargs -r -n1 dirname | sort -u); do \
		for fn in $$(grep -hoE '^func Fuzz[A-Za-z0-9_]*\(' $$dir/*_test.go | sed -e 's/^func //' -e 's/($$//' | sort -u); do \
			echo "== fuzz $$dir $$fn ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) $$dir || failed="$$failed $$dir:$$fn"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz-smoke: failed:$$failed"; exit 1; fi

DEMO_ROOT ?= /tmp/kubectl-netstat-demo

# The README's first command (as root): build, start the demo scene, show
# every namespace, then print the commands to try next.
demo: build
	hack/demo.sh up $(DEMO_ROOT)
	$(BIN) --all-containers -tulpn --host-root $(DEMO_ROOT)
	@hack/demo.sh try $(DEMO_ROOT)

demo-down:
	hack/demo.sh down $(DEMO_ROOT)

# Runs every README example marked <!-- readme-example --> against the demo
# scene (in private namespaces) and fails when the README differs from the
# real output; -update rewrites those blocks. Root.
readme-examples:
	hack/readme-examples.sh

readme-examples-update:
	hack/readme-examples.sh --update

# The fleet benchmark of README "Performance" (root; loopback only; cleans up).
bench-fleet:
	bench/fleet.sh -n 50 -m 1000 -r 3 -s "10 25"

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
