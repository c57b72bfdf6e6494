# fanzha — common tasks. Everything runs inside .venv, created by `make setup`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
MODEL   ?= models/default
CORPUS  ?= data/corpus/corpus.jsonl
EVALSET ?= data/eval/handwritten.jsonl
DEVSET  ?= data/dev/handwritten_dev.jsonl
HOLDOUT ?= data/holdout/handwritten_holdout.jsonl
BLOCK_FPR ?= 0.01

.PHONY: setup demo test lint format corpus train serve loadtest loadtest-all bench clean

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

# Reproduces models/default from scratch (about 12 minutes on 2 cores).
train: corpus
	$(BIN)/fanzha train --data $(CORPUS) --validation-data $(DEVSET) --eval-data $(EVALSET) \
		--eval-data $(HOLDOUT) --block-fpr $(BLOCK_FPR) --out $(MODEL)

serve: setup
	$(BIN)/fanzha serve --model $(MODEL)

# One load shape against a service started on MODEL: make loadtest SHAPE=province-peak WORKERS=2
SHAPE   ?= city-day
WORKERS ?= 1
loadtest: setup
	$(BIN)/fanzha loadtest --shape $(SHAPE) --model $(MODEL) --workers $(WORKERS)

# Every shape in turn, province-peak with 1 and 2 workers, one table (about 20 minutes).
loadtest-all: setup
	$(BIN)/python scripts/loadtest_suite.py --model $(MODEL)

# Bare runner vs service vs naive PyTorch vs TF-IDF, side by side (about 4 minutes).
bench: setup
	$(BIN)/python scripts/bench_suite.py --model $(MODEL)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
