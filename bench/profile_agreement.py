#!/usr/bin/env python3
"""Does `fastpath profile` report what an independent `python -X importtime` shows, and what does
the tool cost on top of the interpreter runs it makes?

For each entry (default: requests, in bench/.venv), ROUNDS rounds, each of three parts run back
to back from one neutral temporary directory, in alternating order (A B C, then C B A, ...) so
that drift of the machine's load hits all three alike:

  A  tool:        `fastpath profile ENTRY --python PY --runs N --format json`, timed from spawn to
                  exit; its reported import median (`total_us.median`) and the CPU it pinned to.
  B  independent: 1 discarded + N runs of `PY -X importtime -c "import ENTRY"`, pinned to that same
                  CPU (the tool's measurement is pinned: like is compared with like); the median
                  of the cumulative time of ENTRY's top-level importtime row.
  C  bare:        the interpreter processes the tool starts, without the tool: (warm-up + N) x
                  `PY -c "import ENTRY"` and STARTUP x `PY -c pass`, pinned the same way, timed
                  from the first spawn to the last exit;
  D  bare, no shutdown: the same with `import os; os._exit(0)` appended to each `-c`, as the
                  tool's runs end (interpreter shutdown is no part of a cold start, and tearing
                  down a big import graph takes a while): the stricter baseline.

Figures, per round and as the median over rounds:
  agreement = A's median / B's median       (goal: within 10 %)
  overhead  = A's wall time / D's wall time (goal: <= 1.15; A / C is printed too)
With --unpinned, A runs with --no-pin and B and C unpinned.

Standard library only (Linux: `os.sched_setaffinity` pins the children). Writes
bench/out/profile_agreement.json.

    python3 bench/profile_agreement.py --fastpath target/release/fastpath
    python3 bench/profile_agreement.py flask --runs 30 --rounds 5
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
import truth as truthmod  # sibling script: clean_env, BENCH

BENCH = truthmod.BENCH
REPO = BENCH.parent
AGREEMENT = 0.10
OVERHEAD = 1.15
# The runner's defaults (crates/fastpath_profile/src/runner.rs, RunnerConfig::new).
WARMUP = 1
STARTUP_RUNS = 5


def find_binary(arg: str) -> Path | None:
    p = Path(arg)
    for cand in [p] if p.is_absolute() else [Path.cwd() / p, REPO / p]:
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand.resolve()
    return None


def pinned(cpu: int | None):
    """preexec_fn pinning a child to `cpu` (or nothing)."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def entry_cumulative_us(stderr: str, entry: str) -> int | None:
    """Cumulative time of ENTRY's top-level row of a `-X importtime` report."""
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) != 3 or parts[2].rstrip() != " " + entry:
            continue
        try:
            return int(parts[1])
        except ValueError:
            return None
    return None


def tool(binary: Path, entry: str, python: str, runs: int, cwd: str, unpinned: bool) -> dict:
    cmd = [str(binary), "profile", entry, "--python", python, "--runs", str(runs)]
    cmd += ["--format", "json"] + (["--no-pin"] if unpinned else [])
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, env=truthmod.clean_env(), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"fastpath profile {entry}: exit {proc.returncode}: {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout)
    return {
        "wall_s": wall,
        "median_us": doc["total_us"]["median"],
        "mad_us": doc["total_us"]["mad"],
        "runs": doc["runs"],
        "warmup": doc["warmup"],
        "pinned": doc["pinned"],
        "modules": len(doc["modules"]),
    }


def independent(entry: str, python: str, runs: int, cwd: str, cpu: int | None) -> dict:
    totals = []
    for i in range(runs + 1):
        proc = subprocess.run(
            [python, "-X", "importtime", "-c", f"import {entry}"],
            cwd=cwd,
            env=truthmod.clean_env(),
            capture_output=True,
            text=True,
            check=True,
            preexec_fn=pinned(cpu),
        )
        total = entry_cumulative_us(proc.stderr, entry)
        if total is None:
            raise RuntimeError(f"no top-level `{entry}` row in -X importtime output")
        if i > 0:  # the first run is a warm-up
            totals.append(total)
    return {"median_us": statistics.median(totals), "runs": len(totals)}


def bare(
    entry: str, python: str, imports: int, startups: int, cwd: str, cpu: int | None, exit_: bool
) -> dict:
    tail = "; import os; os._exit(0)" if exit_ else ""
    codes = [f"import {entry}{tail}"] * imports + [f"pass{tail}"] * startups
    start = time.perf_counter()
    for code in codes:
        subprocess.run(
            [python, "-c", code],
            cwd=cwd,
            env=truthmod.clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            preexec_fn=pinned(cpu),
        )
    return {"wall_s": time.perf_counter() - start, "processes": len(codes)}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("entries", nargs="*", default=["requests"])
    ap.add_argument("--python", default=str(truthmod.DEFAULT_PYTHON))
    ap.add_argument("--fastpath", default="target/release/fastpath")
    ap.add_argument("--runs", type=int, default=20, help="measured runs per tool call (N)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--unpinned", action="store_true", help="compare unpinned measurements")
    ap.add_argument("--out", default=str(BENCH / "out" / "profile_agreement.json"))
    args = ap.parse_args()

    python = str(Path(args.python).absolute())
    if not Path(python).exists():
        print(f"error: interpreter {python} not found (run bench/setup.sh)", file=sys.stderr)
        return 2
    binary = find_binary(args.fastpath)
    if binary is None:
        print(f"error: fastpath binary {args.fastpath} not found", file=sys.stderr)
        return 2

    report = {"schema": "fastpath.bench.profile-agreement/1", "python": python,
              "runs": args.runs, "rounds": args.rounds, "unpinned": args.unpinned, "entries": {}}
    ok = True
    with tempfile.TemporaryDirectory(prefix="fastpath-agreement-") as cwd:
        for entry in args.entries:
            # Untimed: fills fastpath's bytecode and interpreter caches, learns the CPU.
            first = tool(binary, entry, python, 1, cwd, args.unpinned)
            cpu = None if args.unpinned else first["pinned"]
            bare(entry, python, 2, 1, cwd, cpu, False)
            rounds = []
            for r in range(args.rounds):
                parts = {}
                order = ["tool", "independent", "bare", "bare_exit"]
                for part in order if r % 2 == 0 else order[::-1]:
                    if part == "tool":
                        parts[part] = tool(binary, entry, python, args.runs, cwd, args.unpinned)
                    elif part == "independent":
                        parts[part] = independent(entry, python, args.runs, cwd, cpu)
                    else:
                        parts[part] = bare(
                            entry, python, WARMUP + args.runs, STARTUP_RUNS, cwd, cpu,
                            part == "bare_exit",
                        )
                parts["agreement"] = parts["tool"]["median_us"] / parts["independent"]["median_us"]
                parts["overhead"] = parts["tool"]["wall_s"] / parts["bare_exit"]["wall_s"]
                parts["overhead_with_shutdown"] = parts["tool"]["wall_s"] / parts["bare"]["wall_s"]
                rounds.append(parts)
                print(
                    f"{entry} round {r + 1}: tool median {parts['tool']['median_us'] / 1e3:.1f} ms"
                    f" vs importtime {parts['independent']['median_us'] / 1e3:.1f} ms"
                    f" (ratio {parts['agreement']:.3f});"
                    f" tool {parts['tool']['wall_s']:.2f} s vs bare"
                    f" {parts['bare_exit']['wall_s']:.2f} s for {parts['bare']['processes']}"
                    f" processes without shutdown (ratio {parts['overhead']:.3f}),"
                    f" {parts['bare']['wall_s']:.2f} s with (ratio"
                    f" {parts['overhead_with_shutdown']:.3f})",
                    flush=True,
                )
            agreement = statistics.median(p["agreement"] for p in rounds)
            overhead = statistics.median(p["overhead"] for p in rounds)
            overhead_shutdown = statistics.median(p["overhead_with_shutdown"] for p in rounds)
            agree_ok = abs(agreement - 1) <= AGREEMENT
            over_ok = overhead <= OVERHEAD
            ok &= agree_ok and over_ok
            print(
                f"{entry}: agreement (tool median / importtime median) {agreement:.3f} "
                f"[{min(p['agreement'] for p in rounds):.3f}, "
                f"{max(p['agreement'] for p in rounds):.3f}] -> "
                f"{'OK' if agree_ok else 'NOT OK'} (goal within {AGREEMENT:.0%}); "
                f"overhead (tool wall / bare wall) {overhead:.3f} "
                f"[{min(p['overhead'] for p in rounds):.3f}, "
                f"{max(p['overhead'] for p in rounds):.3f}] -> "
                f"{'OK' if over_ok else 'NOT OK'} (goal <= {OVERHEAD}; "
                f"{overhead_shutdown:.3f} against bare runs that also shut down)"
                + ("" if args.unpinned else f"; pinned to CPU {cpu}")
            )
            report["entries"][entry] = {
                "rounds": rounds,
                "agreement": agreement,
                "overhead": overhead,
                "overhead_with_shutdown": overhead_shutdown,
                "cpu": cpu,
                "goal_met": agree_ok and over_ok,
            }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
