# fanzha — common tasks. Everything runs inside .venv, created by `make setup`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
MODEL   ?= models/default
CORPUS  ?= data/corpus/corpus.jsonl
EVALSET ?= data/eval/handwritten.jsonl

.PHONY: setup demo test lint format corpus train serve bench clean

setup: $(BIN)/fanzha
$(BIN)/fanzha: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $@

# Classify a few messages, evaluate on the hand-written set and score a sample archive,
# all with the committed default model.
demo: setup
	$(BIN)/python scripts/demo.py --model $(MODEL)

test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy fanzha service scoring

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

corpus: setup
	$(BIN)/fanzha corpus --out $(CORPUS)

# Reproduces models/default from scratch (about 20 minutes on 2 cores).
train: corpus
	$(BIN)/fanzha train --data $(CORPUS) --eval-data $(EVALSET) --out $(MODEL)

serve: setup
	$(BIN)/fanzha serve --model $(MODEL)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
