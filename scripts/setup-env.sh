# Sourced by demo.sh and test.sh: a project virtualenv with hubctl and the pinned model stack.
# torch==2.13.0 is pinned in the `model` extra: on these machines it resolves to a local CPU wheel,
# where a bare `torch` would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$1]" 2> >(grep -v "is ignored: it is neither" >&2)
export PATH="$PWD/.venv/bin:$PATH"
