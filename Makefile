# The two commands of the README. Both install into ./.venv first (idempotent, fast when already installed).
.PHONY: install study test test-all

install:
	scripts/install.sh

study: install
	.venv/bin/traitrl run configs/quick.yaml --out runs/quick

test:
	scripts/install.sh --test
	.venv/bin/python -m pytest -m "not slow" -q

test-all: install
	.venv/bin/python -m pytest -q
