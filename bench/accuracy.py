#!/usr/bin/env python3
"""Accuracy of `fastpath graph` against the real interpreter, entry by entry and pooled.

For each entry module (default: the packages bench/requirements.txt installs):
  truth      = modules that really load in a fresh interpreter (bench/truth.py: sys.modules after
               `import ENTRY` minus the start-up set, aliases left out);
  predicted  = `fastpath graph ENTRY --python PY --format json` -> `modules[].name`, minus its
               `preloaded`, minus the same start-up set;
  recall     = |truth & predicted| / |truth|      precision = |truth & predicted| / |predicted|
Pooled figures add up the counts over all entries (micro-average). Misses (in truth, not
predicted) and extras (predicted, not loaded) are listed per entry, sorted; each miss carries the
truth module's origin and, from a separate instrumented run, the frame that asked for it; each
extra carries fastpath's own origin and `via` for it.

`--peer ruff` also scores `ruff analyze graph` on the same entries: ruff maps each file to the
files it imports, with no notion of eager versus deferred imports; the cold path is taken as the
closure of that map from the entry's file (see README.md for exactly how).

Every figure is given twice: on the full truth, and on the "source-backed" truth (modules that
have Python source: .py files and frozen stdlib modules), which is the only part a file-to-file
graph like ruff's can express at all (built-in, extension and namespace modules have no file).

Standard library only. Writes bench/out/accuracy.json.

    python3 bench/accuracy.py --fastpath target/release/fastpath
    python3 bench/accuracy.py --peer ruff                # side by side
    python3 bench/accuracy.py --no-fastpath --peer ruff  # the peer alone
    python3 bench/accuracy.py --profile-first            # with observed imports (goal below)

`--profile-first` runs `fastpath profile ENTRY --runs 1` once per entry, in the same neutral
temporary folder, before any `fastpath graph`: each profile records in that folder's
`.fastpath/observed.json` what loaded but was not predicted, and `fastpath graph` merges those
imports as `observed` edges. The goal then is pooled recall >= 0.995 with precision >= 0.98.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import truth as truthmod  # sibling script, found through the sys.path entry above

BENCH = truthmod.BENCH
REPO = BENCH.parent
GOAL = 0.98
# With observed imports from one profile per entry (--profile-first).
GOAL_PROFILED_RECALL = 0.995
GOAL_PROFILED_PRECISION = 0.98


# ---------------------------------------------------------------------------------------------
# interpreter facts


def interpreter_paths(python: str, cwd: str) -> dict:
    """sys.path, stdlib and site-packages of the measured interpreter, asked from a neutral cwd."""
    code = (
        "import sys, sysconfig, json; p = sysconfig.get_paths();"
        "print(json.dumps({'sys_path': [x for x in sys.path if x], 'stdlib': p['stdlib'],"
        " 'platstdlib': p['platstdlib'], 'purelib': p['purelib'], 'platlib': p['platlib'],"
        " 'prefix': sys.prefix}))"
    )
    out = subprocess.run(
        [python, "-c", code],
        cwd=cwd,
        env=truthmod.clean_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def origin_kind(origin: str | None) -> str:
    """Classify a module's __spec__.origin the way the scores need it."""
    if origin is None:
        return "namespace"
    if origin == "built-in":
        return "builtin"
    if origin == "frozen":
        return "frozen"
    if origin.endswith((".py", ".pyc", ".pyw")):
        return "source"
    if origin.endswith((".so", ".pyd")):
        return "extension"
    return "other"


SOURCE_KINDS = {"source", "frozen"}


# ---------------------------------------------------------------------------------------------
# scoring


def score(truth: set[str], predicted: set[str]) -> dict:
    tp = len(truth & predicted)
    return {
        "truth": len(truth),
        "predicted": len(predicted),
        "tp": tp,
        "recall": tp / len(truth) if truth else 1.0,
        "precision": tp / len(predicted) if predicted else 1.0,
    }


def pooled(scores: list[dict]) -> dict:
    t = sum(s["truth"] for s in scores)
    p = sum(s["predicted"] for s in scores)
    tp = sum(s["tp"] for s in scores)
    return {
        "truth": t,
        "predicted": p,
        "tp": tp,
        "recall": tp / t if t else 1.0,
        "precision": tp / p if p else 1.0,
    }


def extension_caused(rec: dict, truth: set[str]) -> set[str]:
    """Modules that load only because a compiled extension imported them while it initialised
    ("C init of X"), and what those modules import in turn: invisible to any reading of source
    (the issue says so; `fastpath profile`'s observed edges cover them)."""
    importers = rec.get("importers") or {}
    caused: set[str] = set()
    changed = True
    while changed:
        changed = False
        for m in truth - caused:
            who = importers.get(m) or ""
            asker = who.split(":", 1)[0]
            if who.startswith("C init of") or asker in caused:
                caused.add(m)
                changed = True
    return caused


def evaluate(rec: dict, predicted: set[str]) -> dict:
    """Full and source-backed scores of one tool's prediction for one entry's truth record."""
    startup = set(rec["startup"])
    predicted = predicted - startup
    truth = set(rec["loaded"])
    kinds = {m: origin_kind(rec["origins"].get(m)) for m in truth}
    non_source = {m for m in truth if kinds[m] not in SOURCE_KINDS}
    return {
        "predicted_set": predicted,
        "full": score(truth, predicted),
        # Modules without Python source leave both sides: a file graph cannot name them.
        "source_backed": score(truth - non_source, predicted - non_source),
        # What source can show at all: without the modules compiled extensions import.
        "source_visible": score(truth - extension_caused(rec, truth), predicted - extension_caused(rec, truth)),
        "misses": [
            {
                "name": m,
                "kind": kinds[m],
                "origin": rec["origins"].get(m),
                "importer": (rec.get("importers") or {}).get(m),
            }
            for m in sorted(truth - predicted)
        ],
        "extras": sorted(predicted - truth),
    }


# ---------------------------------------------------------------------------------------------
# fastpath


def find_binary(arg: str) -> Path | None:
    p = Path(arg)
    for cand in [p] if p.is_absolute() else [Path.cwd() / p, REPO / p]:
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand.resolve()
    return None


def run_fastpath(binary: Path, entry: str, python: str, cwd: str) -> dict:
    proc = subprocess.run(
        [str(binary), "graph", entry, "--python", python, "--format", "json"],
        cwd=cwd,
        env=truthmod.clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(
            f"fastpath graph {entry}: exit {proc.returncode}, no JSON on stdout; "
            f"stderr: {proc.stderr.strip()[:2000]}"
        ) from None
    if doc.get("schema") != "fastpath.graph/1":
        raise RuntimeError(f"fastpath graph {entry}: unexpected schema {doc.get('schema')!r}")
    doc["_exit"] = proc.returncode
    doc["_stderr"] = proc.stderr.strip()
    return doc


def run_profile(binary: Path, entry: str, python: str, cwd: str) -> dict:
    """`fastpath profile ENTRY --runs 1` in cwd: records observed imports there. Returns a
    summary (exit status, what the profile found unpredicted and recorded, its wall time)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(binary), "profile", entry, "--python", python, "--runs", "1", "--format", "json"],
        cwd=cwd,
        env=truthmod.clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    summary = {"exit": proc.returncode, "seconds": round(time.perf_counter() - start, 2)}
    try:
        observed = json.loads(proc.stdout)["observed"]
        summary["unpredicted"] = len(observed["unpredicted"])
        summary["recorded"] = len(observed["recorded"])
        summary["not_loaded"] = len(observed["not_loaded"])
    except (json.JSONDecodeError, KeyError, TypeError):
        summary["stderr"] = proc.stderr.strip()[-2000:]
    return summary


def fastpath_prediction(doc: dict) -> tuple[set[str], dict]:
    modules = {m["name"]: m for m in doc.get("modules", [])}
    preloaded = set(doc.get("preloaded") or [])
    return set(modules) - preloaded, modules


# ---------------------------------------------------------------------------------------------
# ruff analyze graph (the peer)


def file_to_module(path: str, roots: list[str]) -> str | None:
    """Dotted module name of a file, by the longest sys.path root that contains it."""
    best = None
    for root in roots:
        r = root.rstrip("/") + "/"
        if path.startswith(r) and (best is None or len(r) > len(best)):
            best = r
    if best is None:
        return None
    rel = path[len(best) :]
    parts = rel.split("/")
    last = parts[-1].split(".")[0]  # foo.py, foo.pyi, foo.cpython-311-x86_64-linux-gnu.so
    parts = parts[:-1] + ([] if last == "__init__" else [last])
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def ruff_graph(ruff: str, info: dict, cwd: str) -> tuple[dict[str, set[str]], dict]:
    """Run ruff once over the stdlib and site-packages; return module -> imported modules.

    - `src` lists the stdlib then site-packages, so stdlib imports resolve to the real .py files
      (otherwise ruff resolves them to its bundled typeshed stubs and drops them from the map);
    - `--no-type-checking-imports`: `if TYPE_CHECKING:` never runs, so this is ruff's best
      setting for a cold path;
    - when a module has both foo.py and foo.pyi, the .py file's edges are used (stubs say
      nothing about run time); a target resolved to a stub is mapped to its module name.
    """
    roots_to_scan = []
    for key in ("stdlib", "purelib", "platlib"):
        if info[key] not in roots_to_scan and Path(info[key]).is_dir():
            roots_to_scan.append(info[key])
    venv = info["prefix"]
    cmd = [
        ruff,
        "analyze",
        "graph",
        "--isolated",
        "--python",
        venv,
        "--no-type-checking-imports",
        "--config",
        "src = " + json.dumps(roots_to_scan),
        *roots_to_scan,
    ]
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=truthmod.clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ruff analyze graph failed ({proc.returncode}): {proc.stderr[-2000:]}")
    fmap = json.loads(proc.stdout)
    roots = sorted(set(info["sys_path"]) | set(roots_to_scan))
    chosen: dict[str, str] = {}
    for f in fmap:
        name = file_to_module(f, roots)
        if name is None:
            continue
        if name not in chosen or (chosen[name].endswith(".pyi") and f.endswith(".py")):
            chosen[name] = f
    graph: dict[str, set[str]] = {}
    for name, f in chosen.items():
        graph[name] = {t for t in (file_to_module(x, roots) for x in fmap[f]) if t}
    meta = {
        "command": cmd,
        "files": len(fmap),
        "modules": len(graph),
        "warnings": sum(1 for line in proc.stderr.splitlines() if line.startswith("warning")),
    }
    return graph, meta


def ruff_cold_path(graph: dict[str, set[str]], entry: str, startup: set[str]) -> set[str]:
    """Closure from the entry over ruff's edges, adding every parent package of a reached module
    (Python runs a/__init__ and a/b/__init__ for a.b.c) and not expanding modules already loaded
    at start-up (Python never runs them again)."""
    seen: set[str] = set()
    todo = deque([entry])
    while todo:
        m = todo.popleft()
        if m in seen:
            continue
        seen.add(m)
        parts = m.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        if m not in startup:
            todo.extend(graph.get(m, ()))
    return seen


# ---------------------------------------------------------------------------------------------


def fmt(s: dict) -> str:
    return f"{s['recall']:.3f} {s['precision']:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("entries", nargs="*", default=truthmod.DEFAULT_ENTRIES)
    ap.add_argument("--python", default=str(truthmod.DEFAULT_PYTHON), help="measured interpreter")
    ap.add_argument(
        "--fastpath",
        default="target/release/fastpath",
        help="fastpath binary (relative: to the cwd, then to the repository root)",
    )
    ap.add_argument("--no-fastpath", action="store_true", help="score only the peer")
    ap.add_argument("--peer", choices=["ruff"], help="also score this peer side by side")
    ap.add_argument("--ruff", default=str(BENCH / ".venv" / "bin" / "ruff"))
    ap.add_argument("--truth", help="reuse a bench/truth.py JSON instead of measuring again")
    ap.add_argument("--out", default=str(BENCH / "out" / "accuracy.json"))
    ap.add_argument(
        "--max-list",
        type=int,
        default=40,
        help="misses/extras printed per entry (all of them go to the JSON)",
    )
    ap.add_argument("--check", action="store_true", help="exit 1 when fastpath misses the goal")
    ap.add_argument(
        "--profile-first",
        action="store_true",
        help="run `fastpath profile ENTRY --runs 1` per entry in the same folder first, so that "
        "`fastpath graph` merges the observed imports",
    )
    args = ap.parse_args()

    python = str(Path(args.python).absolute())
    if not Path(python).exists():
        print(f"error: interpreter {python} not found (run bench/setup.sh)", file=sys.stderr)
        return 2
    binary = None
    if not args.no_fastpath:
        binary = find_binary(args.fastpath)
        if binary is None:
            print(
                f"error: fastpath binary {args.fastpath} not found (build it, pass --fastpath, "
                f"or --no-fastpath with --peer ruff)",
                file=sys.stderr,
            )
            return 2
    if args.no_fastpath and not args.peer:
        print("error: --no-fastpath needs --peer", file=sys.stderr)
        return 2

    if args.truth:
        truth = json.loads(Path(args.truth).read_text())["entries"]
        missing = [e for e in args.entries if e not in truth]
        if missing:
            print(f"error: {args.truth} has no truth for {missing}", file=sys.stderr)
            return 2
    else:
        print(f"measuring truth for {len(args.entries)} entries with {python} ...", flush=True)
        truth = truthmod.measure_all(args.entries, python)

    tools: dict[str, dict[str, dict]] = {}
    report: dict = {
        "schema": "fastpath.bench.accuracy/1",
        "python": python,
        "goal": GOAL,
        "entries": {},
        "pooled": {},
    }
    with tempfile.TemporaryDirectory(prefix="fastpath-accuracy-") as cwd:
        info = interpreter_paths(python, cwd)
        if binary is not None:
            report["fastpath"] = {"binary": str(binary)}
            if args.profile_first:
                print(f"profiling {len(args.entries)} entries first (--runs 1) ...", flush=True)
                profiles = {}
                for e in args.entries:
                    profiles[e] = run_profile(binary, e, python, cwd)
                    if profiles[e]["exit"] != 0:
                        print(f"error: fastpath profile {e}: exit {profiles[e]['exit']}: "
                              f"{profiles[e].get('stderr', '')[:500]}", file=sys.stderr)
                report["fastpath"]["profile_first"] = profiles
                store = Path(cwd) / ".fastpath" / "observed.json"
                if store.is_file():
                    doc = json.loads(store.read_text())
                    edges = sum(len(r["edges"]) for r in doc["interpreters"].values())
                    report["fastpath"]["observed_edges"] = edges
                    print(f"{store.name}: {edges} observed imports recorded", flush=True)
            res = {}
            for e in args.entries:
                try:
                    doc = run_fastpath(binary, e, python, cwd)
                except (RuntimeError, subprocess.TimeoutExpired) as err:
                    # One failing entry is scored as predicting nothing, and named; the rest run.
                    print(f"error: {err}", file=sys.stderr)
                    doc = {"modules": [], "_exit": None, "_stderr": str(err), "failed": True}
                pred, modules = fastpath_prediction(doc)
                ev = evaluate(truth[e], pred)
                ev["extras"] = [
                    {"name": m, "origin": modules[m].get("origin"), "via": modules[m].get("via")}
                    for m in ev["extras"]
                ]
                ev["unresolved"] = doc.get("unresolved", [])
                ev["exit"] = doc["_exit"]
                ev["failed"] = doc.get("failed", False)
                if doc["_stderr"]:
                    ev["stderr"] = doc["_stderr"][:4000]
                res[e] = ev
            tools["fastpath"] = res
        if args.peer == "ruff":
            print("running ruff analyze graph over the stdlib and site-packages ...", flush=True)
            graph, meta = ruff_graph(args.ruff, info, cwd)
            report["ruff"] = meta
            res = {}
            for e in args.entries:
                pred = ruff_cold_path(graph, e, set(truth[e]["startup"]))
                ev = evaluate(truth[e], pred)
                if e not in graph:
                    ev["note"] = "entry not in ruff's map"
                res[e] = ev
            tools["ruff"] = res

    names = list(tools)
    head = f"{'entry':<19}{'truth':>6}"
    for t in names:
        head += f" | {t:>8} pred  rec   prec  src:rec prec"
    print(head)
    for e in args.entries:
        line = f"{e:<19}{len(truth[e]['loaded']):>6}"
        for t in names:
            ev = tools[t][e]
            line += (
                f" | {ev['full']['predicted']:>13} {fmt(ev['full'])} "
                f"     {fmt(ev['source_backed'])}"
            )
        print(line)
    for t in names:
        full = pooled([tools[t][e]["full"] for e in args.entries])
        src = pooled([tools[t][e]["source_backed"] for e in args.entries])
        visible = pooled([tools[t][e]["source_visible"] for e in args.entries])
        report["pooled"][t] = {"full": full, "source_backed": src, "source_visible": visible}
        print(
            f"POOLED {t:<9} recall {full['recall']:.4f} precision {full['precision']:.4f}  "
            f"(tp {full['tp']}, truth {full['truth']}, predicted {full['predicted']});  "
            f"source-backed recall {src['recall']:.4f} precision {src['precision']:.4f}"
        )
        print(
            f"       {'':<9} without modules imported by compiled extensions as they initialise: "
            f"recall {visible['recall']:.4f} precision {visible['precision']:.4f} (truth {visible['truth']})"
        )
    if "fastpath" in tools:
        p = report["pooled"]["fastpath"]["full"]
        if args.profile_first:
            met = p["recall"] >= GOAL_PROFILED_RECALL and p["precision"] >= GOAL_PROFILED_PRECISION
            goal = (
                f"pooled recall >= {GOAL_PROFILED_RECALL} and precision >= "
                f"{GOAL_PROFILED_PRECISION}, after one profile per entry"
            )
        else:
            met = p["recall"] >= GOAL and p["precision"] >= GOAL
            goal = f"pooled recall and precision >= {GOAL}"
        report["goal_met"] = met
        print(f"goal ({goal}): {'MET' if met else 'NOT MET'}")

    for t in names:
        for e in args.entries:
            ev = tools[t][e]
            if t == "fastpath" or args.max_list > 0:
                if ev["misses"]:
                    shown = ev["misses"][: args.max_list]
                    print(f"\n[{t}] {e}: {len(ev['misses'])} misses")
                    for m in shown:
                        print(f"    - {m['name']:<45} {m['kind']:<10} asked by {m['importer']}")
                    if len(ev["misses"]) > len(shown):
                        print(f"    ... {len(ev['misses']) - len(shown)} more in the JSON")
                if ev["extras"]:
                    shown = ev["extras"][: args.max_list]
                    print(f"[{t}] {e}: {len(ev['extras'])} extras")
                    for x in shown:
                        if isinstance(x, dict):
                            via = x.get("via") or {}
                            where = (
                                f"{via.get('path')}:{via.get('line')} {via.get('context')}"
                                if via
                                else ""
                            )
                            print(f"    + {x['name']:<45} {x.get('origin') or '':<11} via {where}")
                        else:
                            print(f"    + {x}")
                    if len(ev["extras"]) > len(shown):
                        print(f"    ... {len(ev['extras']) - len(shown)} more in the JSON")

    for t in names:
        for e in args.entries:
            ev = dict(tools[t][e])
            ev.pop("predicted_set")
            report["entries"].setdefault(e, {"truth": len(truth[e]["loaded"])})[t] = ev
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"\nwrote {out}")
    if args.check and "fastpath" in tools and not report["goal_met"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
