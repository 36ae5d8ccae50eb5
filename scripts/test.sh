#!/usr/bin/env bash
# Set up and run every check tradecost has, from a clean checkout:
# a fresh virtualenv, a full build, the tests, the tests again on a debug build (bounds
# checking on), ruff, cython-lint, mypy --strict, and the benchmarks in a quick smoke mode.
#
#   bash scripts/test.sh            # everything
#   VENV=.venv-ci bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=${VENV:-.venv}
export HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-ci}
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n==> %s\n' "$*"; }

step "system packages: Chromium for the dashboard tests (tests/serve drive it headless)"
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    echo "chromium present"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    chromium --version
else
    echo "no chromium and not root: the browser tests will skip (apt-get install chromium)"
fi

step "virtualenv $VENV ($($PYTHON --version))"
"$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --upgrade pip
step "install tradecost with its test and lint extras (builds the Cython core)"
"$PY" -m pip install --quiet -e ".[test,lint]"
"$PY" -c "import tradecost, sys; print('tradecost', tradecost.__version__, 'on', sys.version.split()[0])"

step "tests"
"$PY" -m pytest tests -q -p no:cacheprovider

step "tests on the debug build (bounds checks, C assertions)"
TRADECOST_DEBUG=1 "$PY" setup.py -q build_ext --inplace --force
"$PY" -m pytest tests -q -p no:cacheprovider -x
"$PY" setup.py -q build_ext --inplace --force

step "ruff"
"$VENV/bin/ruff" check src tests benchmarks examples
"$VENV/bin/ruff" format --check src tests benchmarks examples
step "cython-lint"
PATH="$VENV/bin:$PATH" "$VENV/bin/cython-lint" src
step "mypy --strict src"
"$VENV/bin/mypy" --strict src

step "benchmarks (smoke: every benchmark runs once, nothing is timed)"
"$PY" -m pytest benchmarks -q -p no:cacheprovider -o python_files='bench_*.py' \
    --benchmark-disable

step "all checks passed"
