#!/usr/bin/env bash
# Installs what the tests need beyond Rust and Python 3.11 with pip: every .ci/prereq/*.sh, in
# name order (Chromium and selenium, maturin, jsonschema). Part of the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
for script in .ci/prereq/*.sh; do
    [ -e "$script" ] || continue
    echo "== prerequisites: $script"
    bash "$script"
done
