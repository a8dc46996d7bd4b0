#!/usr/bin/env bash
# Prerequisites of .ci/checks/50-wheel.sh (the wheel `fastpath-cli`): maturin in a virtualenv of
# its own, and a wheelhouse with pytest and PyYAML, so that the check installs them into a fresh
# virtualenv beside the wheel without the network. Everything lives under the cargo target dir.
set -euo pipefail
cd "$(dirname "$0")/../.."

target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target"
dir="$(cd "$target" && pwd)/ci-wheel"
rm -rf "$dir/tools" "$dir/wheelhouse"
python3 -m venv "$dir/tools"
pip_quiet=(--quiet --disable-pip-version-check)
"$dir/tools/bin/python" -m pip install "${pip_quiet[@]}" "maturin>=1.5,<2" pyyaml
"$dir/tools/bin/python" -m pip download "${pip_quiet[@]}" --dest "$dir/wheelhouse" "pytest>=7" pyyaml
"$dir/tools/bin/maturin" --version
