# make dev   start the embedded stack (emulator on :4566, provisioned), Ctrl-C stops it
# make test  typecheck, lint and every test
# Both install what is missing first: Node 24 (scripts/ensure-node.sh) and node_modules (npm ci).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node 24 first on PATH for every recipe. Only the targets that run Node pay for finding it.
NODE_GOALS := dev test bench provision
ifneq ($(filter $(NODE_GOALS),$(MAKECMDGOALS)),)
NODE_DIR := $(shell scripts/ensure-node.sh)
ifeq ($(NODE_DIR),)
$(error scripts/ensure-node.sh found no Node 24: see its message above, or install Node 24 yourself)
endif
export PATH := $(NODE_DIR):$(PATH)
endif

FRESH ?=
COMPOSE_PROFILE ?= localstack

.PHONY: help dev test bench provision up down clean

help:
	@echo "make dev        start the embedded stack in the foreground (FRESH=1 starts from empty state)"
	@echo "make test       typecheck + lint + every test"
	@echo "make bench      benchmarks"
	@echo "make up / down  compose mode (Docker): COMPOSE_PROFILE=localstack (default) or emulator"
	@echo "make clean      remove .data/, coverage/ and node_modules/"

# npm ci when node_modules is missing or older than the lock file.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

dev: node_modules/.package-lock.json
	node scripts/dev.ts $(if $(filter 1 true yes,$(FRESH)),--fresh,)

test: node_modules/.package-lock.json
	scripts/ensure-debian-packages.sh
	npx tsc --noEmit -p .
	npx biome check .
	npx vitest run

bench: node_modules/.package-lock.json
	npm run bench

provision: node_modules/.package-lock.json
	AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL:-http://127.0.0.1:4566} node scripts/provision.ts

# Compose mode: not tried in CI (no Docker engine there). Provisioning runs from the host.
up:
	docker compose --profile $(COMPOSE_PROFILE) up -d --wait
	$(MAKE) provision

down:
	docker compose --profile localstack --profile emulator down

clean:
	rm -rf .data coverage node_modules
