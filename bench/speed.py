#!/usr/bin/env python3
"""Speed of `fastpath graph --all` against `ruff analyze graph`, side by side in one run.

Both tools read the same tree (default: bench/.venv's site-packages), resolve imports against the
same interpreter, and write JSON to /dev/null. Runs are interleaved A B A B ... after one
discarded warm-up each, so drift on a shared machine hits both alike; each tool's figure is the
median wall time over N runs (default 7), with min/max and a robust spread (1.4826 x MAD), and
its peak resident memory (ru_maxrss of the tool's own process from os.wait4; children it
spawns, such as fastpath's one-off interpreter query, are not included). The headline is the
ratio ruff_median / fastpath_median (goal: >= 2).

ruff's file discovery is pinned down so it sees exactly the tree's .py files:
  --isolated                      no ruff.toml/pyproject.toml of any installed package applies
  --config 'include = ["*.py"]'   .py only (by default ruff also analyses .pyi stubs)
  --config 'exclude = []'         none of the default excludes (dist, _build, site-packages, ...)
  --config 'respect-gitignore = false'  a .gitignore above the tree (bench/.venv is git-ignored)
                                  hides nothing
Before timing, one untimed run of each tool is captured and its file count checked against the
number of .py files on disk (ruff: the keys of its JSON map).

Standard library only. Writes bench/out/speed.json.

    python3 bench/speed.py --fastpath target/release/fastpath
    python3 bench/speed.py --no-fastpath          # ruff's side alone
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import truth as truthmod  # sibling script, found through the sys.path entry above
from accuracy import find_binary, interpreter_paths

BENCH = truthmod.BENCH
GOAL_RATIO = 2.0


def tree_stats(root: Path) -> dict:
    py, pyi, size = 0, 0, 0
    for dirpath, _dirs, files in os.walk(root):  # does not follow symlinked directories
        for f in files:
            if f.endswith(".py"):
                py += 1
                size += os.lstat(os.path.join(dirpath, f)).st_size
            elif f.endswith(".pyi"):
                pyi += 1
    return {"py_files": py, "pyi_files": pyi, "py_bytes": size}


def timed(cmd: list[str], cwd: str) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit status of one run, stdout and stderr discarded."""
    env = truthmod.clean_env()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
    return wall, usage.ru_maxrss / 1024.0, proc.returncode  # ru_maxrss is in KiB on Linux


def count_files(doc) -> int | None:
    """Files in a tool's JSON: ruff's map keys; fastpath's `tree` entries (its `files` count is
    checked against them and wins only when `tree` is absent)."""
    if isinstance(doc, dict):
        if "schema" not in doc:
            return len(doc)  # ruff: {file: [imported files]}
        for key in ("tree", "files", "modules"):
            if isinstance(doc.get(key), (list, dict)):
                listed = len(doc[key])
                if isinstance(doc.get("files"), int) and doc["files"] != listed:
                    print(
                        f"  warning: fastpath says files={doc['files']} but lists {listed}",
                        file=sys.stderr,
                    )
                return listed
        if isinstance(doc.get("files"), int):
            return doc["files"]
    return None


def inspect_run(cmd: list[str], cwd: str) -> dict:
    """Run a tool once, capturing its output, and describe what it scanned. Called in a child
    interpreter (see verify) so that this process never holds a large JSON document."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=truthmod.clean_env(), capture_output=True, text=True, check=False
    )
    info = {
        "exit": proc.returncode,
        "stdout_bytes": len(proc.stdout),
        "stderr_lines": len(proc.stderr.splitlines()),
        "stderr_tail": proc.stderr.strip()[-1500:],
    }
    try:
        info["files"] = count_files(json.loads(proc.stdout))
    except json.JSONDecodeError:
        info["files"] = None
    return info


def verify(name: str, cmd: list[str], cwd: str, expected: int) -> dict:
    # Why a child: on Linux a spawned process's ru_maxrss starts from the spawning process's
    # high-water mark (vfork + exec carry it over), so this process must stay small for the
    # peak-memory figures to be the tools' own. Parsing a tool's 10+ MB JSON here would not.
    child = subprocess.run(
        [sys.executable, __file__, "--inspect", cwd, "--", *cmd],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(child.stdout)
    same = info["files"] == expected
    info["same_files_as_disk"] = same
    print(
        f"  {name}: exit {info['exit']}, {info['files']} files in its JSON "
        f"({'same as' if same else 'DIFFERENT FROM'} the {expected} .py files on disk), "
        f"{info['stdout_bytes'] / 1e6:.1f} MB of JSON, {info['stderr_lines']} stderr lines"
    )
    if info["exit"] != 0:
        print("    stderr: " + info["stderr_tail"].replace("\n", "\n    "))
    return info


def summary(walls: list[float], rss: list[float]) -> dict:
    med = statistics.median(walls)
    mad = statistics.median(abs(w - med) for w in walls)
    return {
        "runs": len(walls),
        "wall_s": walls,
        "median_s": med,
        "min_s": min(walls),
        "max_s": max(walls),
        "robust_cv": 1.4826 * mad / med if med else 0.0,
        "peak_rss_mb": rss,
        "peak_rss_mb_max": max(rss),
        "peak_rss_mb_median": statistics.median(rss),
    }


def main() -> int:
    if len(sys.argv) > 3 and sys.argv[1] == "--inspect" and sys.argv[3] == "--":
        print(json.dumps(inspect_run(sys.argv[4:], sys.argv[2])))
        return 0
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--python", default=str(truthmod.DEFAULT_PYTHON), help="interpreter of the tree"
    )
    ap.add_argument("--site", help="tree to scan (default: the interpreter's site-packages)")
    ap.add_argument(
        "--fastpath",
        default="target/release/fastpath",
        help="fastpath binary (relative: to the cwd, then to the repository root)",
    )
    ap.add_argument("--no-fastpath", action="store_true", help="time ruff alone")
    ap.add_argument("--ruff", default=str(BENCH / ".venv" / "bin" / "ruff"))
    ap.add_argument("-n", "--runs", type=int, default=7)
    ap.add_argument("--out", default=str(BENCH / "out" / "speed.json"))
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
                f"or --no-fastpath)",
                file=sys.stderr,
            )
            return 2

    with tempfile.TemporaryDirectory(prefix="fastpath-speed-") as cwd:
        info = interpreter_paths(python, cwd)
        site = Path(args.site or info["purelib"]).resolve()
        stats = tree_stats(site)
        print(
            f"tree {site}: {stats['py_files']} .py files, {stats['py_bytes'] / 1e6:.1f} MB "
            f"(+ {stats['pyi_files']} .pyi stubs, not scanned by either tool); {os.cpu_count()} cores"
        )

        tools: dict[str, list[str]] = {}
        if binary is not None:
            tools["fastpath"] = [
                str(binary),
                "graph",
                "--all",
                str(site),
                "--python",
                python,
                "--format",
                "json",
            ]
        tools["ruff"] = [
            args.ruff,
            "analyze",
            "graph",
            "--isolated",
            "--python",
            info["prefix"],
            "--config",
            'include = ["*.py"]',
            "--config",
            "exclude = []",
            "--config",
            "respect-gitignore = false",
            str(site),
        ]

        print("checking what each tool scans (untimed):")
        checks = {name: verify(name, cmd, cwd, stats["py_files"]) for name, cmd in tools.items()}
        for name, c in checks.items():
            if c["exit"] != 0:
                print(f"error: {name} failed; not timing it", file=sys.stderr)
                return 1

        walls: dict[str, list[float]] = {n: [] for n in tools}
        rss: dict[str, list[float]] = {n: [] for n in tools}
        # The floor of the peak-RSS figure: what a trivial program reports when spawned the
        # same way (see verify). A tool's figure is max(its own peak, floor).
        floor_mb = max(timed(["/bin/true"], cwd)[1] for _ in range(3))
        print(f"peak-RSS floor (/bin/true spawned the same way): {floor_mb:.0f} MB")
        for name, cmd in tools.items():  # warm-up, discarded
            timed(cmd, cwd)
        for i in range(args.runs):
            for name, cmd in tools.items():
                w, r, rc = timed(cmd, cwd)
                if rc != 0:
                    print(f"error: {name} exited {rc} on run {i + 1}", file=sys.stderr)
                    return 1
                walls[name].append(w)
                rss[name].append(r)
            print(
                f"  run {i + 1}/{args.runs}: "
                + "  ".join(f"{n} {walls[n][-1]:.3f} s {rss[n][-1]:.0f} MB" for n in tools),
                flush=True,
            )

    results = {n: summary(walls[n], rss[n]) for n in tools}
    mb = stats["py_bytes"] / 1e6
    print(
        f"\n{'tool':<9} {'median':>8} {'min':>7} {'max':>7} {'rCV':>6} {'MB/s':>7} {'peak RSS':>9}"
    )
    for n, s in results.items():
        print(
            f"{n:<9} {s['median_s']:>7.3f}s {s['min_s']:>6.3f}s {s['max_s']:>6.3f}s "
            f"{100 * s['robust_cv']:>5.1f}% {mb / s['median_s']:>7.0f} {s['peak_rss_mb_max']:>6.0f} MB"
        )
    report = {
        "schema": "fastpath.bench.speed/1",
        "tree": str(site),
        **stats,
        "cores": os.cpu_count(),
        "rss_floor_mb": floor_mb,
        "commands": tools,
        "checks": checks,
        "results": results,
    }
    if "fastpath" in results:
        ratio = results["ruff"]["median_s"] / results["fastpath"]["median_s"]
        report["ratio_ruff_over_fastpath"] = ratio
        report["goal_met"] = ratio >= GOAL_RATIO
        print(
            f"ratio ruff/fastpath (median wall): {ratio:.2f}x  "
            f"(goal >= {GOAL_RATIO}: {'MET' if ratio >= GOAL_RATIO else 'NOT MET'})"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
