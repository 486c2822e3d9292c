# wenze — the two commands of the README, each creating and using a local virtualenv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
AS_OF ?= 2026-11-20
OUT ?= out

.PHONY: demo test lint typecheck fixtures bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# An editable install leaves wenze's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE
# is set every run would compile them afresh (~0.1 s): byte-compile them once, as a
# regular install does (Python recompiles any module edited since, in memory).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/python -m compileall -q engine dsl
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q engine dsl
	touch $(VENV)/.installed $@

## make demo: audit the shipped sample export on SQLite, print the summary, write reports
demo: $(VENV)/.installed
	mkdir -p $(OUT)
	$(BIN)/wenze check policies/licensing
	$(BIN)/wenze audit fixtures/sample/licensing_sample.csv --policy policies/licensing \
		--as-of $(AS_OF) --db sqlite:///$(OUT)/wenze.db --json $(OUT)/findings.json
	$(BIN)/wenze report latest --db sqlite:///$(OUT)/wenze.db --format md --out $(OUT)/report.md
	@echo "report written to $(OUT)/report.md, findings to $(OUT)/findings.json"

## make test: install with test extras and run the whole suite (+ lint and type checks)
test: $(STAMP)
	$(BIN)/ruff check engine dsl tests fixtures bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

fixtures: $(VENV)/.installed
	$(BIN)/python -m fixtures.generate

bench: $(VENV)/.installed
	$(BIN)/python bench/bench_audit.py --cases 100000

clean:
	rm -rf $(VENV) $(OUT) wenze.db .pytest_cache .mypy_cache .ruff_cache
