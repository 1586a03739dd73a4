# The README's two commands are `make run` and `make test`; the rest are helpers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements.lock

.PHONY: help install lock audit run test unit bench bench-sla bench-queue bench-redaction lint stack-up stack-down clean browser-deps

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# The environment is made anew from the lock (--clear), so it holds what the lock pins and nothing else;
# the project itself goes in editable, without dependencies of its own choosing. The lock's own pip goes
# in first (its entry alone, hashed), so the rest is installed by the pinned pip, not by whichever one
# the interpreter's venv module brings (3.11.7's: pip 23.2.1).
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv --clear $(VENV)
	sed -n '/^pip==/,/^ *# via/p' $(LOCK) > $(VENV)/pip.lock
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(VENV)/pip.lock
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## make the virtual environment from requirements.lock and install Aduan into it

lock: | $(STAMP) ## regenerate requirements.lock (and the image's requirements-runtime.lock) from pyproject.toml (keeps pins; LOCK_ARGS=--upgrade for newest)
	$(BIN)/uv pip compile pyproject.toml --quiet --extra dev --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --generate-hashes --custom-compile-command 'make lock' \
	  -o $(LOCK) $(LOCK_ARGS)
	$(BIN)/uv pip compile pyproject.toml --quiet --extra postgres --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --generate-hashes --custom-compile-command 'make lock' \
	  -c $(LOCK) -o requirements-runtime.lock

audit: install ## pip-audit of requirements.lock, accepted advisories in audit-exceptions.txt (AUDIT_ARGS="-s osv")
	deploy/local/audit.sh $(LOCK) audit-exceptions.txt $(AUDIT_ARGS)

run: install ## the platform: stack, workers, API, demo data (prints the URL; Ctrl-C stops it)
	$(BIN)/aduan run

test: install browser-deps ## the whole test suite (unit, integration, browser) on a real Kafka and Elasticsearch
	deploy/local/with-stack.sh $(BIN)/pytest $(PYTEST_ARGS)

browser-deps: ## Debian's chromium for the browser tests (installed when missing, as root)
	deploy/local/browser-deps.sh

unit: install ## the unit tests alone (no services)
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

bench: install ## intake: Aduan beside bare kafka/faust/FastAPI/bulk ceilings, last line BENCH {json} (BENCH_ARGS="--count N")
	deploy/local/with-stack.sh $(BIN)/python -m tests.benchmarks.intake $(BENCH_ARGS)

bench-sla: install ## SLA: 1000000 open clocks, breach lateness, recovery, last line BENCH {json} (BENCH_ARGS="--clocks N")
	deploy/local/with-stack.sh $(BIN)/python -m tests.benchmarks.sla $(BENCH_ARGS)

bench-queue: install ## the officer queues on an index of N cases (BENCH_ARGS="--cases N", default 1000000)
	deploy/local/with-stack.sh $(BIN)/python -m tests.benchmarks.queue $(BENCH_ARGS)

bench-redaction: install ## personal-data scrubber: recall/precision per class on tests/data, time per text (no stack)
	$(BIN)/python -m tests.benchmarks.redaction $(BENCH_ARGS)

lint: install ## ruff
	$(BIN)/ruff check .

stack-up: install ## start Kafka and Elasticsearch only
	$(BIN)/aduan stack up

stack-down: install ## stop them
	$(BIN)/aduan stack down

clean: ## remove the virtual environment (the stack cache in .stack/ is kept)
	rm -rf $(VENV)
