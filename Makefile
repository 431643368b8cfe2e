# Castscope build, install and test entry points.
#   make deps     install everything a fresh Debian 12 machine needs (idempotent; root or sudo)
#   make run      build if needed and open the app
#   make demo     run the pipeline headless on a sample video
#   make test     all tests (Go, frontend, real window, end-to-end in Chromium); depends on deps
#   make package  build/castscope_VERSION_amd64.deb (install: apt-get install ./build/castscope_*.deb)
#   make temporal the Temporal CLI (for its dev server), built once into the user cache
#   make temporal-server  a Temporal dev server on 127.0.0.1:7233 to try `worker --temporal` and `run --temporal`
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
export LANG := en_US.UTF-8
export LC_ALL := en_US.UTF-8

VERSION           := 0.1.0
ORT_VERSION       := 1.30.0
ORT_DIR           := third_party/onnxruntime
ORT_LIB           := $(ORT_DIR)/libonnxruntime.so.1
TAGS              := webkit2_41
BIN               := build/bin/castscope
DEMO_DATA         ?= $(CURDIR)/.cache/demo-data
DEMO_VIDEO        := .cache/demo/Castscope_Demo_S01_E01.mp4
DEB               := build/castscope_$(VERSION)_amd64.deb
# The Temporal CLI is no Debian package: built from the Go module proxy
# into the user cache, outside the repository (backend/remote/devserver
# finds it there).
TEMPORAL_VERSION  := v1.5.1
TEMPORAL_BIN      := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/castscope-tools/temporal-$(TEMPORAL_VERSION)/temporal
GO_SOURCES        := $(shell find . -name '*.go' -not -path './frontend/*' -not -path './third_party/*' -not -path './.cache/*' 2>/dev/null) go.mod go.sum $(wildcard models/*)
BINDINGS          := frontend/src/lib/wailsjs/go/main/App.js
FRONTEND_SOURCES  := $(shell find frontend/src frontend/index.html frontend/package.json frontend/vite.config.* -type f 2>/dev/null)

.PHONY: deps apt locale ort npm gomod bindings build run demo test test-go test-frontend test-e2e vet check package clean temporal temporal-server

deps: apt locale ort gomod npm
	@echo "deps: ready"

apt:
	@bash scripts/apt-deps.sh

locale:
	@if ! locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$$'; then \
		echo "deps: generating en_US.UTF-8 locale"; \
		sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen && locale-gen >/dev/null; \
	fi

ort: $(ORT_LIB)
$(ORT_LIB):
	@echo "deps: ONNX Runtime $(ORT_VERSION) CPU library from the onnxruntime-node npm package"
	@bash scripts/install-ort.sh $(ORT_VERSION) $(ORT_DIR)

gomod:
	@echo "deps: Go modules (the app's, and nfpm's for make package)"
	@go mod download
	@cd build/package && go mod download

npm: frontend/node_modules/.package-lock.json
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	@echo "deps: npm packages (npm ci)"
	@cd frontend && npm ci --no-audit --no-fund --loglevel=error

# The frontend's TypeScript bindings of the bound Go methods and the types
# they carry (frontend/src/lib/wailsjs, generated, never committed): a
# -tags bindings build writes them when run from here (bindings.go), and
# the catalog as JSON beside them for the frontend's unit tests.
# Wails cannot name time.Time in TypeScript; it is an RFC 3339 string.
bindings: $(BINDINGS)
$(BINDINGS): $(GO_SOURCES) wails.json
	@echo "build: frontend bindings (frontend/src/lib/wailsjs)"
	@mkdir -p .cache
	@go build -tags bindings,$(TAGS) -o .cache/castscope-bindings .
	@tsoutputtype=interfaces ./.cache/castscope-bindings >.cache/bindings.log 2>&1 || { cat .cache/bindings.log; exit 1; }
	@sed -i 's/\btime\.Time\b/string | null/g' frontend/src/lib/wailsjs/go/models.ts
	@touch $@

frontend/dist/index.html: $(FRONTEND_SOURCES) $(BINDINGS) frontend/node_modules/.package-lock.json
	@echo "build: frontend"
	@cd frontend && npm run build --silent

$(BIN): frontend/dist/index.html $(GO_SOURCES)
	@echo "build: desktop binary $(BIN)"
	@go build -tags desktop,production,$(TAGS) -ldflags "-s -w -X castscope/backend/version.Version=$(VERSION)" -o $(BIN) .
	@cp -f build/linux/castscope.desktop build/bin/ 2>/dev/null || true

build: $(BIN)

run: deps $(BIN)
	./$(BIN)

$(DEMO_VIDEO):
	@bash scripts/make-sample.sh testdata/media "$@"

demo: deps $(BIN) $(DEMO_VIDEO)
	./$(BIN) run "$(DEMO_VIDEO)" --data "$(DEMO_DATA)"

vet: frontend/dist/index.html
	@test -z "$$(gofmt -l $(filter %.go,$(GO_SOURCES)))" || { gofmt -l $(filter %.go,$(GO_SOURCES)); echo "gofmt: files above need formatting"; exit 1; }
	@go vet -tags $(TAGS) ./...
	@go vet -tags bindings,$(TAGS) .

check: npm $(BINDINGS)
	@cd frontend && npm run check --silent

# A Temporal CLI that cannot be built leaves the Temporal tests skipping;
# with CASTSCOPE_REQUIRE_TEMPORAL=1 (CI) they fail instead.
temporal:
	@test -x "$(TEMPORAL_BIN)" || { \
		echo "deps: Temporal CLI $(TEMPORAL_VERSION) from the Go module proxy into $(dir $(TEMPORAL_BIN)) (about 10 min on 2 cores, once)"; \
		GOBIN="$(dir $(TEMPORAL_BIN))" go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION) \
		|| echo "deps: the Temporal CLI could not be built: the Temporal tests skip"; }

temporal-server: temporal
	@mkdir -p .cache
	"$(TEMPORAL_BIN)" server start-dev --headless --ip 127.0.0.1 --port 7233 --db-filename .cache/temporal.db

test-go: deps temporal frontend/dist/index.html $(BIN)
	CASTSCOPE_BIN=$(CURDIR)/$(BIN) CASTSCOPE_ORT_LIB=$(CURDIR)/$(ORT_LIB) CASTSCOPE_TEMPORAL_BIN="$(TEMPORAL_BIN)" \
	go test -tags $(TAGS) -count=1 -timeout 40m ./...
	# Every OpenCV Mat the face code makes is closed: gocv counts them only
	# when built with the matprofile tag (a build of its own, minutes once).
	CASTSCOPE_ORT_LIB=$(CURDIR)/$(ORT_LIB) \
	go test -tags $(TAGS),matprofile -count=1 -run '^TestNoMatLeak$$' ./backend/face

test-frontend: npm $(BINDINGS)
	@cd frontend && npm test --silent

test-e2e: deps temporal
	CASTSCOPE_ORT_LIB=$(CURDIR)/$(ORT_LIB) CASTSCOPE_TEMPORAL_BIN="$(TEMPORAL_BIN)" bash scripts/e2e.sh

test: deps vet check test-frontend test-go test-e2e
	@echo "test: all passed"

package: $(DEB)
$(DEB): $(BIN) $(ORT_LIB) scripts/package.sh build/linux/castscope.desktop build/appicon.png build/package/go.mod
	@echo "package: $@"
	@bash scripts/package.sh $(VERSION) $(BIN) $(ORT_LIB) build

clean:
	rm -rf build/bin build/*.deb frontend/dist frontend/src/lib/wailsjs .cache
