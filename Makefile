# Two commands set everything up on a fresh machine:  make run   and   make test
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install model run chat test lint bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed

model: install          ## prepare the embedding model (idempotent, cached in .cache/models)
	$(PY) -m index prepare-model

run: model              ## build the index on first start, then run the bot (terminal chat without a token)
	$(PY) -m bot run

chat: model
	$(PY) -m bot chat

test: model             ## the whole test suite
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check index bot tests bench
	$(PY) -m mypy index bot

$(VENV)/.installed-bench: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

bench: model $(VENV)/.installed-bench   ## print the performance table
	$(PY) -m bench

clean:
	rm -rf $(VENV) .cache data
