#!/usr/bin/env python3
"""Ground truth for the cold path: which modules really load when an entry is imported.

For each entry module name, a fresh interpreter (``PY -c CODE``, one per entry, started in an
empty temporary directory so the working directory cannot shadow anything) records the keys of
``sys.modules`` before and after ``__import__(ENTRY)``. The cold path is the difference, leaving
out aliases: keys whose value has no ``__spec__`` or whose ``__spec__.name`` is not the key (for
example ``os.path`` -> ``posixpath``, ``six.moves.*``, modules that replace themselves in
``sys.modules``). Aliases are kept in the output under ``aliases`` for inspection.

``-X importtime`` is deliberately not used: it also prints failed import attempts and misses
modules loaded through ``importlib.import_module``; only ``sys.modules`` says what stayed loaded.

Standard library only. Run with any Python 3; the measured interpreter is ``--python``
(default: bench/.venv/bin/python next to this script).

    python3 bench/truth.py                 # default entry list, writes bench/out/truth.json
    python3 bench/truth.py requests flask  # chosen entries
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEFAULT_PYTHON = BENCH / ".venv" / "bin" / "python"
OUT = BENCH / "out"

# Import names (not distribution names) of the packages bench/requirements.txt installs.
DEFAULT_ENTRIES = [
    "requests",
    "flask",
    "click",
    "rich",
    "httpx",
    "attrs",
    "jinja2",
    "pydantic",
    "boto3",
    "sqlalchemy",
    "yaml",
    "packaging",
    "urllib3",
    "certifi",
    "idna",
    "charset_normalizer",
    "markupsafe",
    "werkzeug",
    "itsdangerous",
    "dateutil",
    "six",
    "typing_extensions",
    "anyio",
    "sniffio",
    "h11",
    "pygments",
    "markdown_it",
    "mdurl",
    "tomli",
    "numpy",
    "pandas",
    "django",
    "botocore",
    "fastapi",
    "starlette",
]

# Runs inside the measured interpreter. It must not import anything before taking the first
# snapshot, nor before taking the second one; json is imported only after both.
PROBE = r"""
import sys
#WHO
_before = list(sys.modules)
_error = None
try:
    __import__(sys.argv[1])
except BaseException as e:  # the entry's own failure is a result, not a crash of the probe
    _error = "%s: %s" % (type(e).__name__, e)
_after = dict(sys.modules)
_before_set = set(_before)
_loaded, _aliases, _origins = [], {}, {}
for _k, _m in _after.items():
    if _k in _before_set:
        continue
    _spec = getattr(_m, "__spec__", None) if _m is not None else None
    _name = getattr(_spec, "name", None)
    if _name != _k:
        _aliases[_k] = _name
    else:
        _loaded.append(_k)
        _origins[_k] = getattr(_spec, "origin", None)
import json
sys.stdout.write(json.dumps({
    "startup": sorted(_before), "loaded": sorted(_loaded), "aliases": _aliases,
    "origins": _origins, "importers": getattr(sys, "_fastpath_who", None), "error": _error, "version": sys.version.split()[0], "executable": sys.executable,
}))
"""


# Optional instrumentation for a second, separate run: a meta-path finder that never finds
# anything but notes, for each module name, the first Python frame outside importlib that asked
# for it ("module:line in function"). It only annotates misses; the truth itself always comes
# from the uninstrumented run, and the two runs' module sets are compared.
WHO = r"""
sys._fastpath_who = {}
class _FastpathWho:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name in sys._fastpath_who:
            return None
        f = sys._getframe(1)
        ext = None
        while f is not None and (f.f_code.co_filename in ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")
                                 or (f.f_globals.get("__name__") == "importlib"
                                     and f.f_code.co_name == "import_module")):
            # An extension's create/exec frame with no Python frame above it: the request
            # came from the extension's C initialisation, not from a Python statement.
            if ext is None and f.f_code.co_name in ("create_module", "exec_module"):
                spec = f.f_locals.get("spec") or getattr(f.f_locals.get("module"), "__spec__", None)
                ext = getattr(spec, "name", "?")
            f = f.f_back
        where = "?" if f is None else "%s:%d in %s" % (f.f_globals.get("__name__"), f.f_lineno, f.f_code.co_name)
        if ext is not None:
            where = "C init of %s (itself imported at %s)" % (ext, where)
        sys._fastpath_who[name] = where
        return None
sys.meta_path.insert(0, _FastpathWho)
"""


def clean_env() -> dict[str, str]:
    """The environment for every child: no PYTHON* variables that would change sys.path or run code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.pop("VIRTUAL_ENV", None)
    return env


def measure(entry: str, python: str, cwd: str, who: bool = False, timeout: float = 120.0) -> dict:
    """One fresh interpreter for one entry; returns the probe's record."""
    code = PROBE.replace("#WHO", WHO if who else "")
    proc = subprocess.run(
        [python, "-c", code, entry],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout:
        raise RuntimeError(
            f"probe for {entry!r} failed (exit {proc.returncode}): {proc.stderr.strip()}"
        )
    record = json.loads(proc.stdout)
    record["entry"] = entry
    return record


def measure_all(entries: list[str], python: str, who: bool = True) -> dict[str, dict]:
    """Truth for each entry; with ``who``, a second instrumented run adds ``importers``
    (restricted to the truly loaded modules) and ``who_run_differs`` if its module set differed."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="fastpath-truth-") as cwd:
        for e in entries:
            rec = measure(e, python, cwd)
            rec["importers"] = None
            if who:
                inst = measure(e, python, cwd, who=True)
                seen = inst["importers"] or {}
                rec["importers"] = {m: seen.get(m) for m in rec["loaded"]}
                differs = sorted(set(inst["loaded"]) ^ set(rec["loaded"]))
                rec["who_run_differs"] = differs
            results[e] = rec
    return results


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("entries", nargs="*", default=DEFAULT_ENTRIES)
    ap.add_argument("--python", default=str(DEFAULT_PYTHON), help="interpreter to measure")
    ap.add_argument("--out", default=str(OUT / "truth.json"), help="combined JSON report")
    args = ap.parse_args()

    python = args.python
    if not Path(python).exists():
        print(f"error: interpreter {python} not found (run bench/setup.sh)", file=sys.stderr)
        return 2
    results = measure_all(args.entries, python)

    out = Path(args.out)
    per_entry_dir = out.parent / "truth"
    per_entry_dir.mkdir(parents=True, exist_ok=True)
    for entry, rec in results.items():
        (per_entry_dir / f"{entry}.json").write_text(
            json.dumps(rec, indent=1, sort_keys=True) + "\n"
        )
    out.write_text(
        json.dumps({"python": python, "entries": results}, indent=1, sort_keys=True) + "\n"
    )

    first = next(iter(results.values()))
    print(
        f"python {first['executable']} {first['version']}; start-up set: {len(first['startup'])} modules"
    )
    print(f"{'entry':<20} {'loaded':>7} {'aliases':>8}  error")
    for entry, rec in results.items():
        print(f"{entry:<20} {len(rec['loaded']):>7} {len(rec['aliases']):>8}  {rec['error'] or ''}")
    print(f"total loaded (sum over entries): {sum(len(r['loaded']) for r in results.values())}")
    print(f"wrote {out} and {per_entry_dir}/<entry>.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
