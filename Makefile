# frontdoor: `make run` builds and runs the demo; `make test` installs what
# the tests need (Debian packages via apt-get when root, VictoriaLogs built
# from its Go module) and runs them.
GO        ?= go
BIN       := bin/frontdoor
# -buildvcs=auto: the commit is in `frontdoor version` when built from a git
# checkout, even where GOFLAGS turns VCS stamping off.
GOFLAGS_BUILD := -trimpath -buildvcs=auto -ldflags "-s -w"
TEST_TIMEOUT ?= 40m

.PHONY: all build run test test-deps vet unit bench geoip-update fmt clean

all: build

build:
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN) ./cmd/frontdoor

## run: build frontdoor and run it on Caddyfile.example (demo sites on loopback)
run: build
	./$(BIN) run --config Caddyfile.example --adapter caddyfile

## test-deps: install what the tests need (idempotent)
test-deps:
	bash test/tools/install-deps.sh

GOFILES = $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './test/dashboards/node_modules/*')

vet:
	@out="$$(gofmt -l $(GOFILES))"; \
	  if [ -n "$$out" ]; then echo "gofmt needed (make fmt):"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## fmt: gofmt every Go file in place
fmt:
	gofmt -w $(GOFILES)

## unit: the tests that need no external component (no Redis, VictoriaLogs,
## Prometheus, nginx, Chromium; nothing installed), about a minute
unit: vet build
	FRONTDOOR_BIN=$(abspath $(BIN)) $(GO) test -short -timeout 10m $(TESTFLAGS) ./...

## test: install test dependencies, vet, and run every test
test: test-deps vet build
	FRONTDOOR_BIN=$(abspath $(BIN)) $(GO) test -race -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./...

## bench: microbenchmarks and the load benchmark (test/bench)
bench: test-deps build
	bash test/bench/run.sh

## geoip-update: refresh the embedded country database from npm
geoip-update:
	bash geoip/update.sh

clean:
	rm -rf bin
