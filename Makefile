# make dev   start the embedded stack (emulator on :4566, provisioned), Ctrl-C stops it
# make test  typecheck, lint and every test
# Both install what is missing first: Node 24 (scripts/ensure-node.sh) and node_modules (npm ci).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node 24 first on PATH for every recipe. Only the targets that run Node pay for finding it.
NODE_GOALS := dev test bench provision demo
ifneq ($(filter $(NODE_GOALS),$(MAKECMDGOALS)),)
NODE_DIR := $(shell scripts/ensure-node.sh)
ifeq ($(NODE_DIR),)
$(error scripts/ensure-node.sh found no Node 24: see its message above, or install Node 24 yourself)
endif
export PATH := $(NODE_DIR):$(PATH)
endif

# node-llama-cpp ships prebuilt llama.cpp binaries as npm packages; never let its install step
# download or compile anything else.
export NODE_LLAMA_CPP_SKIP_DOWNLOAD := true

FRESH ?=
COMPOSE_PROFILE ?= localstack

.PHONY: help dev test bench provision demo up down clean model

help:
	@echo "make dev        start the embedded stack in the foreground (FRESH=1 starts from empty state)"
	@echo "make test       typecheck + lint + every test"
	@echo "make bench      benchmarks"
	@echo "make demo       three jobs through the whole lifecycle, live (uses a running make dev, or starts one)"
	@echo "make up / down  compose mode (Docker): COMPOSE_PROFILE=localstack (default) or emulator"
	@echo "make clean      remove .data/, coverage/ and node_modules/"
	@echo "make model      fetch the real TinyLlama-1.1B-Chat Q4_K_M GGUF (needs network and TINYLLAMA_SHA256)"

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

demo: node_modules/.package-lock.json
	node scripts/demo.ts

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

# The real TinyLlama-1.1B-Chat-v1.0 Q4_K_M GGUF (~670 MB), for runs with real text. Needs network
# access and the file's sha256 from its model page (TINYLLAMA_SHA256); never part of make test,
# make dev or CI, which use generated random-weight models (docs/gpu-runtime.md).
TINYLLAMA_URL ?= https://huggingface.co/TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/resolve/main/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf
TINYLLAMA_GGUF := .data/models/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf
model:
	@test -n "$(TINYLLAMA_SHA256)" || { echo "make model: set TINYLLAMA_SHA256 to the file's sha256 from its model page, so the download is checked"; exit 2; }
	mkdir -p .data/models
	curl -fL --retry 3 -o $(TINYLLAMA_GGUF).part $(TINYLLAMA_URL)
	echo "$(TINYLLAMA_SHA256)  $(TINYLLAMA_GGUF).part" | sha256sum -c -
	mv $(TINYLLAMA_GGUF).part $(TINYLLAMA_GGUF)
	@echo "use it: MODEL_PATH=$(TINYLLAMA_GGUF) MODEL_SHA256=$(TINYLLAMA_SHA256) make dev"
