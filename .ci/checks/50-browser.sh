#!/usr/bin/env bash
# The HTML reports in a real browser: headless Chromium (installed by .ci/prereq/50-browser.sh)
# loads `fastpath profile --format html` of the seed example and of `requests` (from PyPI, in a
# virtualenv under /tmp), a page of hostile names and `fastpath check --output-format html`;
# see crates/fastpath_report/browser/test_reports.py. Under CI=true a missing browser fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

target="${CARGO_TARGET_DIR:-target}"
cargo build --locked -p fastpath
python=target/browser-venv/bin/python
[ -x "$python" ] || python=python3
"$python" crates/fastpath_report/browser/test_reports.py \
    --fastpath "$target/debug/fastpath" \
    --work "${TMPDIR:-/tmp}/fastpath-browser-check" \
    --screenshot "$target/browser-report.png"
