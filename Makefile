# Everyday targets. The README's two commands (go run ./cmd/cutover serve, go test ./...) need none
# of this; CI runs .ci/run.
.PHONY: generate build test lint lint-go lint-spec bench run clean

generate: ## regenerate internal/api and pkg/client from api/openapi.yaml
	go generate ./...

build: ## build ./cutover
	go build -o cutover ./cmd/cutover

test: ## the whole test suite (set CUTOVER_TEST_POSTGRES_URL to run it on PostgreSQL too)
	go test ./...

lint: lint-go lint-spec ## every linter CI runs

lint-go:
	go vet ./...
	go tool golangci-lint run ./...

tools/node_modules: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund
	touch tools/node_modules

lint-spec: tools/node_modules ## lint the spec and check a TypeScript client gets real types
	tools/node_modules/.bin/redocly lint api/openapi.yaml
	tools/node_modules/.bin/openapi-typescript api/openapi.yaml --redocly tools/redocly-typescript.yaml -o /tmp/cutover-api.d.ts
	@! grep -nE ': unknown' /tmp/cutover-api.d.ts | grep -v '\[name: string\]: unknown'

bench: ## Go benchmarks of the hot paths
	go test -run '^$$' -bench . -benchmem ./...

run: ## serve on :8080 with ./cutover.db
	go run ./cmd/cutover serve

clean:
	rm -f cutover cutover.db cutover.db-wal cutover.db-shm
