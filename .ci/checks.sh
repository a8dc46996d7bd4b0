#!/usr/bin/env bash
# The checks that run after `cargo test`: every .ci/checks/*.sh, in name order (the real-browser
# test, the wheel's round trip with pytest and the hooks). Part of the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
for script in .ci/checks/*.sh; do
    [ -e "$script" ] || continue
    echo "== check: $script"
    bash "$script"
done
