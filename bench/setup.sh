#!/usr/bin/env bash
# Creates bench/.venv and installs the pinned packages of bench/requirements.txt into it.
# Idempotent: an existing venv is reused, and pip runs only when `pip freeze` differs from the pins.
#   PYTHON=python3.11 bench/setup.sh     # choose the base interpreter (default: python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
req="$here/requirements.txt"
base="${PYTHON:-python3}"

if [[ -x "$venv/bin/python" ]]; then
    echo "setup: reusing $venv ($("$venv/bin/python" --version))"
else
    echo "setup: creating $venv with $base ($("$base" --version))"
    "$base" -m venv "$venv"
fi

# The pins we want, normalised the way pip freeze prints names (lower case, '-' for '_').
normalise() { { grep -v -e '^#' -e '^[[:space:]]*$' || true; } | tr 'A-Z_' 'a-z-' | sort; }
want="$(normalise < "$req")"
have="$("$venv/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null | normalise)"
missing="$(comm -23 <(echo "$want") <(echo "$have"))"

if [[ -z "$missing" ]]; then
    echo "setup: all $(echo "$want" | wc -l) pinned packages already installed, nothing to do"
else
    echo "setup: installing $(echo "$missing" | wc -l) pinned package(s) from $req:"
    echo "$missing" | sed 's/^/  /'
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
    echo "setup: installed"
fi

sp="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "setup: python $("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])'), ruff $("$venv/bin/ruff" --version | cut -d' ' -f2)"
echo "setup: site-packages $sp: $(find "$sp" -name '*.py' | wc -l) .py files"
