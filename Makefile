# `make run`: the platform with demo data on http://127.0.0.1:8000 (SQLite, filesystem broker).
# `make test`: the whole suite against PostgreSQL and Redis on 127.0.0.1.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# WeasyPrint needs Pango; Japanese letters need Noto CJK; browser tests need Chromium;
# the Kannel tests a real Kannel with its fake SMSC; PDF checks qpdf and pdffonts.
SYSTEM_PACKAGES_RUN := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext
# docker-compose checks deploy/compose.yaml (no container engine needed); nginx runs the
# shipped proxy settings in front of a test upstream.
SYSTEM_PACKAGES_TEST := $(SYSTEM_PACKAGES_RUN) chromium redis-server kannel kannel-extras qpdf poppler-utils docker-compose nginx

.PHONY: lock outdated deploy-check run test lint typecheck check install system-packages-run system-packages-test demo messages bench vendor clean fuzz

# Python packages come from uv.lock only (hashes checked): uv, itself pinned in the lock and
# bootstrapped from deploy/requirements-uv.txt, makes .venv exactly the lock, nothing more.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
$(BIN)/.installed: uv.lock pyproject.toml deploy/requirements-uv.txt
	test -x $(BIN)/uv || { $(PYTHON) -m venv --clear $(VENV) \
	  && $(BIN)/python -m pip install -q --require-hashes --no-deps -r deploy/requirements-uv.txt \
	  && $(BIN)/uv pip uninstall -q --python $(BIN)/python pip setuptools; }
	$(BIN)/uv sync --quiet --frozen --extra dev
	touch $@

install: $(BIN)/.installed

# Refresh uv.lock from pyproject.toml's ranges (newest versions allowed), then the bootstrap pin.
lock: install
	$(BIN)/uv lock --upgrade
	$(BIN)/uv export --quiet --frozen --only-group installer --no-emit-project --format requirements-txt -o deploy/requirements-uv.txt

# The locked packages that have newer releases.
outdated: install
	$(BIN)/uv pip list --outdated

system-packages-run:
	@deploy/install-system-packages.sh $(SYSTEM_PACKAGES_RUN)

system-packages-test:
	@deploy/install-system-packages.sh $(SYSTEM_PACKAGES_TEST)

run: install system-packages-run
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo --if-empty
	@$(BIN)/python manage.py demo_info
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/python deploy/run-local deploy/Procfile.local

demo: install
	$(BIN)/python manage.py load_demo --reset

# Two workers: the suite is sized for a 2-core machine (CI and our laptops).
test: install system-packages-test
	$(BIN)/python -m pytest -n 2

# lint-imports holds the layers of pyproject.toml's [tool.importlinter] (docs/architecture.md#layers);
# it reads the apps from the checkout, hence PYTHONPATH.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH="$(CURDIR)" $(BIN)/lint-imports --no-cache --no-logo

typecheck: install
	$(BIN)/mypy .

check: lint typecheck test

messages: install
	$(BIN)/python manage.py makemessages -l ja -i '.venv/*' -i 'tests/*' -i 'var/*' -i 'staticfiles/*'
	$(BIN)/python manage.py compilemessages -i .venv

# OpenAPI-driven fuzzing of every API endpoint (schemathesis), many examples per operation;
# the suite runs the same test with a few (tests/ccm/test_api_fuzz.py).
FUZZ_EXAMPLES ?= 200
fuzz: install
	CCM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -m fuzz -n 0 -q

# Benchmarks run against PostgreSQL (the archive ones seed a million rows there, once).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ccm_bench
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/run.py

# The template editor's CodeMirror, copied from its npm package (see docs/studio.md).
CODEMIRROR_VERSION := 5.65.21
vendor:
	deploy/vendor-codemirror.sh $(CODEMIRROR_VERSION)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache

# The container image definition (hadolint), the compose file (docker-compose config),
# the Procfile (honcho check), systemd units and .env.example against the settings.
deploy-check: install
	$(BIN)/python -m pytest tests/deploy -q -p no:cacheprovider
