#!/usr/bin/env bash
# The wheel `fastpath-cli`, round trip: build it with maturin, install it into a fresh virtualenv,
# and check what a user gets: `fastpath --version`, `python -m fastpath check` with the same
# findings as the cargo-built binary, `--python` defaulting to the interpreter that ran it, shell
# completion, the pytest plugin's tests, the pre-commit hooks' command lines and the GitHub
# Action's steps. Prerequisites: .ci/prereq/50-wheel.sh.
#
# The wheel is built with `--profile dev`: the cargo tests already built every dependency in that
# profile, so only the binary is compiled again (a release wheel would rebuild the workspace with
# LTO, minutes on two cores). What is checked here does not depend on the profile.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"

target="${CARGO_TARGET_DIR:-target}"
export CARGO_TARGET_DIR="$(cd "$target" && pwd)"
dir="$CARGO_TARGET_DIR/ci-wheel"
tools="$dir/tools/bin"
[ -x "$tools/maturin" ] || { echo "maturin missing: run .ci/prereq/50-wheel.sh" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# What a user's shell would not have: an activated virtualenv or fastpath's own setting.
unset VIRTUAL_ENV FASTPATH_PYTHON || true

echo "-- build the wheel"
rm -rf "$dir/dist"
"$tools/maturin" build --locked --profile dev --out "$dir/dist" --quiet 2>&1 | tail -1
wheel="$(ls "$dir"/dist/fastpath_cli-*.whl)"
echo "wheel: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

echo "-- install it into a fresh virtualenv"
venv="$work/venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
    --find-links "$dir/wheelhouse" "$wheel" pytest pyyaml
py="$venv/bin/python"

echo "-- fastpath --version"
cargo_bin="$CARGO_TARGET_DIR/debug/fastpath"
[ -x "$cargo_bin" ] || cargo build --locked -p fastpath --quiet
wheel_version="$("$venv/bin/fastpath" --version)"
[ "$wheel_version" = "$("$cargo_bin" --version)" ] || fail "wheel says '$wheel_version'"
[ "$("$py" -m fastpath --version)" = "$wheel_version" ] || fail "python -m fastpath --version"
echo "$wheel_version"

echo "-- python -m fastpath check on a copy of the example: the cargo-built binary's findings"
cp -r examples/lambda-seed "$work/seed"
export FASTPATH_TODAY=2026-12-01
status=0
(cd "$work" && "$py" -m fastpath check seed --static --output-format json) > "$work/wheel.json" || status=$?
[ "$status" = 1 ] || fail "python -m fastpath check --static exited $status, not 1"
status=0
"$cargo_bin" check "$work/seed" --static --python "$py" --output-format json > "$work/cargo.json" || status=$?
[ "$status" = 1 ] || fail "the cargo-built check --static exited $status, not 1"
cmp "$work/wheel.json" "$work/cargo.json" || fail "static findings differ"
# Measured: one profile taken through the wheel (its interpreter is the default one), then both
# binaries check with it, so that the two reports see the same measurements and must agree.
(cd "$work/seed" && "$py" -m fastpath profile --runs 5 --format json) > "$work/profile.json"
"$py" -c 'import json, sys
requested = json.load(open(sys.argv[1]))["interpreter"]["requested"]
sys.exit(0 if requested == sys.argv[2] else "profiled with %s, not %s" % (requested, sys.argv[2]))' \
    "$work/profile.json" "$py"
(cd "$work" && "$py" -m fastpath check seed --profile "$work/profile.json" --output-format json) \
    > "$work/wheel-m.json" || true
"$cargo_bin" check "$work/seed" --profile "$work/profile.json" --python "$py" --output-format json \
    > "$work/cargo-m.json" || true
cmp "$work/wheel-m.json" "$work/cargo-m.json" || fail "measured findings differ"
grep -q '"measured": true' "$work/wheel-m.json" || fail "python -m fastpath check did not measure"
grep -q '"code": "FP105"' "$work/wheel-m.json" || fail "no measured finding (FP105) on the seed"
findings() { "$py" -c 'import json, sys
for d in json.load(open(sys.argv[1]))["diagnostics"]:
    print(d["code"], d["file"], d["line"], d["column"])' "$1"; }
findings "$work/wheel.json" | sed 's/^/  static: /'
findings "$work/wheel-m.json" | sed 's/^/  measured: /'

echo "-- --python defaults to the interpreter that ran python -m fastpath"
# A package only the fresh virtualenv holds, and a project that imports it.
purelib="$("$py" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
mkdir -p "$purelib/fastpath_ci_only"
echo 'VALUE = 1' > "$purelib/fastpath_ci_only/__init__.py"
mkdir -p "$work/app"
printf '[tool.fastpath]\nentry = "app"\n' > "$work/app/pyproject.toml"
printf 'import fastpath_ci_only\n' > "$work/app/app.py"
origin_of() { "$py" -c 'import json, sys
graph = json.load(sys.stdin)
found = [m["origin"] + " " + m["path"] for m in graph["modules"] if m["name"] == "fastpath_ci_only"]
print(found[0] if found else "unresolved" if any(u["name"] == "fastpath_ci_only" for u in graph["unresolved"]) else "absent")'; }
via_module="$(cd "$work/app" && "$py" -m fastpath graph --format json | origin_of)"
case "$via_module" in
    "third-party $purelib/fastpath_ci_only/__init__.py") ;;
    *) fail "python -m fastpath graph: fastpath_ci_only is '$via_module'" ;;
esac
# The bare binary, from the same shell, targets python3 on PATH, which lacks the package.
bare="$(cd "$work/app" && "$venv/bin/fastpath" graph --format json | origin_of)"
[ "$bare" = "unresolved" ] || fail "the bare binary resolved fastpath_ci_only: '$bare'"
echo "python -m fastpath: $via_module; bare fastpath: $bare"

echo "-- shell completion"
for shell in bash zsh fish elvish powershell; do
    "$venv/bin/fastpath" generate-shell-completion "$shell" > "$work/completion.$shell"
    grep -q "generate-shell-completion" "$work/completion.$shell" || fail "$shell completion"
done
bash -n "$work/completion.bash" || fail "the bash completion does not parse"

echo "-- the pytest plugin's tests"
"$py" -m pytest "$repo/python/tests" -p no:cacheprovider -q

echo "-- the pre-commit hooks' command lines, and the GitHub Action's steps"
"$py" "$repo/.ci/checks/wheel_hooks.py" "$repo" "$venv" "$wheel" "$work"
echo "wheel: all checks passed"
