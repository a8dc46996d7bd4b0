#!/usr/bin/env python3
"""Does `fastpath profile` stay right, or say it cannot, when the machine is busy?

For one entry of about 100 ms (default: requests), from a neutral temporary directory:

  quiet     ROUNDS profiles with nothing else started by this script; their median import
            total is the reference ("the quiet median").
  hog CPU n for each CPU this process may use: a busy loop (`python3 -c "while True: pass"`)
            pinned to CPU n, then one profile, then the loop is killed.
  together  two profiles started at the same instant (as a CI matrix on one runner does).

Each figure is a profile's `total_us.median` against the quiet median. Its verdict:
  ok        within 10 % of quiet;
  warned    off by more, but the profile said so: `contention.contended` in its JSON (the text
            report prints "contended: ..." and claims no precision);
  SILENT    off by more than 10 % with no warning: the failure this bench exists to catch.
The script also prints, per figure, the CPU the profile pinned to, how many runs it dropped as
contended, and its placement note. Exit 1 if any figure is SILENT.

The quiet reference is only as quiet as the machine: the load average is printed before and
after, and a quiet profile that itself reports contention is flagged.

    python3 bench/contention.py --fastpath target/release/fastpath --python bench/.venv/bin/python
    python3 bench/contention.py --entry requests --runs 15 --rounds 3

Standard library only (Linux: `os.sched_setaffinity` pins the hogs). Writes
bench/out/contention.json.
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

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TOLERANCE = 0.10


def find_binary(arg: str | None) -> Path | None:
    candidates = [arg] if arg else ["target/release/fastpath", "target/debug/fastpath"]
    for c in candidates:
        p = Path(c)
        for cand in [p] if p.is_absolute() else [Path.cwd() / p, REPO / p]:
            if cand.is_file() and os.access(cand, os.X_OK):
                return cand.resolve()
    return None


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def start_profile(binary: Path, entry: str, python: str, runs: int | None, cwd: str):
    cmd = [str(binary), "profile", entry, "--python", python, "--format", "json"]
    if runs:
        cmd += ["--runs", str(runs)]
    return subprocess.Popen(
        cmd, cwd=cwd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc) -> dict:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"fastpath profile: exit {proc.returncode}: {err[-2000:]}")
    doc = json.loads(out)
    contention = doc.get("contention", {})
    placement = doc.get("placement", {})
    return {
        "median_us": doc["total_us"]["median"],
        "runs": doc["runs"],
        "pinned": doc.get("pinned"),
        "contended": bool(contention.get("contended")),
        "attempted": contention.get("attempted", doc["runs"]),
        "dropped": len(contention.get("dropped", [])),
        "kept_contended": len(contention.get("kept_contended", [])),
        "cpu_share": contention.get("cpu_share"),
        "note": placement.get("note"),
        "moves": placement.get("moves", []),
        "converged": doc["stability"]["converged"],
    }


def profile(binary: Path, entry: str, python: str, runs: int | None, cwd: str) -> dict:
    return finish(start_profile(binary, entry, python, runs, cwd))


def hog(cpu: int):
    return subprocess.Popen(
        [sys.executable, "-c", "while True: pass"],
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
    )


def verdict(error: float, contended: bool) -> str:
    if abs(error) <= TOLERANCE:
        return "ok"
    return "warned" if contended else "SILENT"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fastpath", help="the binary (default target/release, then target/debug)")
    ap.add_argument("--python", default=str(BENCH / ".venv/bin/python"))
    ap.add_argument("--entry", default="requests")
    ap.add_argument("--runs", type=int, default=None, help="--runs for every profile (default adaptive)")
    ap.add_argument("--rounds", type=int, default=3, help="quiet profiles for the reference")
    args = ap.parse_args()
    binary = find_binary(args.fastpath)
    if binary is None:
        print("no fastpath binary: cargo build --release -p fastpath", file=sys.stderr)
        return 2
    if not Path(args.python).exists():
        print(f"no interpreter {args.python}: bench/setup.sh, or --python", file=sys.stderr)
        return 2
    cpus = sorted(os.sched_getaffinity(0))
    print(f"entry {args.entry}, {binary}, {args.python}; CPUs {cpus}; load average {load()}")
    figures = []
    with tempfile.TemporaryDirectory(prefix="fastpath-contention-") as cwd:
        quiet = []
        for i in range(args.rounds):
            r = profile(binary, args.entry, args.python, args.runs, cwd)
            quiet.append(r)
            figures.append(("quiet", i + 1, r))
        reference = statistics.median(r["median_us"] for r in quiet)
        for cpu in cpus:
            h = hog(cpu)
            try:
                time.sleep(0.5)
                figures.append((f"hog on CPU {cpu}", 1, profile(binary, args.entry, args.python, args.runs, cwd)))
            finally:
                h.kill()
                h.wait()
        procs = [start_profile(binary, args.entry, args.python, args.runs, cwd) for _ in range(2)]
        for i, p in enumerate(procs):
            figures.append(("together", i + 1, finish(p)))
    print(f"quiet median {reference / 1000:.1f} ms; load average after: {load()}")
    print(f"{'condition':<14} {'#':>2} {'median':>9} {'error':>8}  {'verdict':<7} {'pinned':>6} {'runs':>9} {'cpu':>5}  note")
    silent = 0
    rows = []
    for name, i, r in figures:
        error = (r["median_us"] - reference) / reference
        v = verdict(error, r["contended"])
        if name == "quiet" and r["contended"]:
            v += "*"
        silent += v == "SILENT"
        share = f"{100 * r['cpu_share']:.0f}%" if r["cpu_share"] is not None else "-"
        runs = f"{r['runs']}/{r['attempted']}"
        note = r["note"] or ""
        if r["moves"]:
            note = (note + "; " if note else "") + ", ".join(
                f"moved {m['from']}->{m['to']} after run {m['after_run']}" for m in r["moves"]
            )
        if r["contended"]:
            note = (note + "; " if note else "") + f"CONTENDED ({r['dropped']} dropped, {r['kept_contended']} kept)"
        elif r["dropped"]:
            note = (note + "; " if note else "") + f"{r['dropped']} dropped"
        print(
            f"{name:<14} {i:>2} {r['median_us'] / 1000:>6.1f} ms {100 * error:>+7.1f}%  {v:<7} "
            f"{str(r['pinned']):>6} {runs:>9} {share:>5}  {note}"
        )
        rows.append({"condition": name, "index": i, "error": error, "verdict": v, **r})
    if any(row["verdict"].endswith("*") for row in rows):
        print("* the quiet reference itself was contended: the machine was not quiet")
    print(f"{silent} silent error(s) beyond {100 * TOLERANCE:.0f} %")
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "contention.json").write_text(
        json.dumps({"entry": args.entry, "reference_us": reference, "figures": rows}, indent=2) + "\n"
    )
    return 1 if silent else 0


if __name__ == "__main__":
    sys.exit(main())
