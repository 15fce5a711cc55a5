# Conveniences for those who have make. The scripts under bin/ are the real commands.
.PHONY: help run test ci lint format

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

run:  ## Run web, worker and beat on the embedded defaults (bin/run)
	bin/run

test:  ## Install test requirements, lint and run the tests (bin/test)
	bin/test

ci:  ## What CI runs: the tests on PostgreSQL and Redis (.ci/run)
	bash .ci/run

lint:  ## ruff check
	.venv/bin/ruff check .

format:  ## ruff format
	.venv/bin/ruff format .
