#!/usr/bin/env bash
# The SARIF schema test (crates/fastpath/tests/it/sarif.rs) validates `check --output-format
# sarif` against the vendored SARIF 2.1.0 schema with Python's `jsonschema`, in a virtualenv of
# its own under target/. Installs it when missing; a venv that has it is left alone.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/sarif-venv
if ! "$venv/bin/python" -c "import jsonschema" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "jsonschema==4.*"
fi
