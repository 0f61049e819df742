# Social Value Ledger: one environment for the whole repository, from the lock file.
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SERVICES := commitments measurement reporting brokerage
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)


.PHONY: help install browser run test test-unit test-integration test-security test-e2e test-browser deploy-check lint format typecheck migrate provision bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: $(UV) uv.lock pyproject.toml shared/pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml)
	$(UV) sync --frozen --all-packages
	@touch $@

install: $(VENV)/.installed ## create .venv from uv.lock (needs only python3)

run: install ## start NATS and the four services; Ctrl-C stops them
	$(BIN)/svl run

test: install browser ## every test tier: unit, integration, end to end, deployment (SQLite, and PostgreSQL if TEST_DATABASE_URL)
	$(BIN)/pytest tests/unit tests/integration tests/security tests/e2e tests/deploy tests/browser

test-browser: install browser ## the portal in Debian's Chromium (SVL_SCREENSHOT_DIR keeps the screenshots)
	$(BIN)/pytest tests/browser

deploy-check: install ## render and validate the Kubernetes manifests offline, replay the image installs (needs kubectl)
	$(BIN)/pytest tests/deploy

browser: ## Debian's Chromium, for the browser tests
	tools/ensure-chromium

test-unit: install
	$(BIN)/pytest tests/unit

test-integration: install
	$(BIN)/pytest tests/integration

test-security: install ## authorization matrix, schemathesis fuzzing (SVL_FUZZ_CASES), hostile input
	$(BIN)/pytest tests/security

test-e2e: install
	$(BIN)/pytest tests/e2e

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy --strict over shared, services, tests and the benchmark
	$(BIN)/mypy shared/src services/commitments/src services/measurement/src services/reporting/src services/brokerage/src tests bench

migrate: install ## migrate the four databases (SQLite under var/ unless SVL_<SERVICE>_DATABASE_URL)
	$(BIN)/svl migrate

provision: install ## create or update JetStream streams and consumers
	$(BIN)/svl streams provision

bench: install ## ingest, end-to-end, rebuild and report benchmarks against the whole system (JSON in bench-results/)
	$(BIN)/python -m bench.run

clean: ## remove local data (var/)
	rm -rf var
