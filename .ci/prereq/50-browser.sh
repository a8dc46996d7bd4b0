#!/usr/bin/env bash
# The real-browser test of the HTML reports (.ci/checks/50-browser.sh) needs Debian's headless
# Chromium and its WebDriver, and selenium in a virtualenv of its own under target/. Installs
# what is missing; a machine that has them all is left alone.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
fi

venv=target/browser-venv
if ! "$venv/bin/python" -c "import selenium" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "selenium==4.*"
fi
