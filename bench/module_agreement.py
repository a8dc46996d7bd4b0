#!/usr/bin/env python3
"""Per-module agreement of `fastpath profile` with plain `python -X importtime -c "import ENTRY"`.

The check for issue 11's awscli anomaly (`urllib3.util.url` read 62 ms under fastpath against
9 ms plain, for `awscli.clidriver`; root cause: CPython 3.11+ frame data-stack chunks, see
crates/fastpath_profile/src/bootstrap.py). ROUNDS rounds, each: one `fastpath profile ENTRY
--runs N --format json`, then 1 discarded + N plain runs pinned to the CPU the profile pinned to
(unpinned when it ran unpinned); the order alternates between rounds so drift hits both alike.
Per module: fastpath's self time against the plain runs' (failed import attempts folded into
the module above them, as fastpath does), as the median (`--statistic median`: fastpath's
median over the rounds' medians) or the minimum over all runs (`--statistic min`, the default:
on a busy machine preemption only ever adds time to a run, so the minimum is the figure that
noise disturbs least; the issue quoted minima too).

Printed: the top modules by plain self time, both figures, the difference, and whether it is
within 15 % or 1 ms (the issue's bar); then the totals. Exit 1 if a top module is outside.

    python3 bench/module_agreement.py --python /tmp/venv/bin/python            # awscli.clidriver
    python3 bench/module_agreement.py requests --python bench/.venv/bin/python --top 10

Standard library only. Writes bench/out/module_agreement.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contention import clean_env, find_binary, load  # sibling script

BENCH = Path(__file__).resolve().parent
RELATIVE = 0.15
ABSOLUTE_US = 1000.0

PROBE = """import sys
__import__(sys.argv[1])
sys.stdout.write("\\n".join(sys.modules))
"""


def rows(stderr: str) -> list[tuple[int, str, int]]:
    """(depth, name, self_us) per importtime row, in output order (children before parents)."""
    out = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) != 3:
            continue
        try:
            self_us = int(parts[0].split(":")[1])
        except ValueError:
            continue
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip(" "))) // 2
        out.append((depth, name.strip(), self_us))
    return out


def self_times(stderr: str, loaded: set[str]) -> dict[str, float]:
    """Self time per loaded module; a failed attempt's row goes to the loaded module above it."""
    result: dict[str, float] = {}
    pending: dict[int, float] = {}  # depth -> self time of failed rows waiting for their owner
    seen: set[str] = set()
    for depth, name, self_us in rows(stderr):
        carried = sum(v for d, v in pending.items() if d > depth)
        pending = {d: v for d, v in pending.items() if d <= depth}
        if name in loaded and name not in seen:
            seen.add(name)
            result[name] = self_us + carried
        else:
            pending[depth] = pending.get(depth, 0.0) + self_us + carried
    return result


def plain(entry: str, python: str, runs: int, cwd: str, cpu: int | None) -> list[dict[str, float]]:
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    out = []
    for i in range(runs + 1):
        proc = subprocess.run(
            [python, "-X", "importtime", "-c", PROBE, entry],
            cwd=cwd, env=clean_env(), capture_output=True, text=True, check=True, preexec_fn=pin,
        )
        if i > 0:
            out.append(self_times(proc.stderr, set(proc.stdout.split("\n"))))
    return out


def tool(binary: Path, entry: str, python: str, runs: int, cwd: str) -> dict:
    proc = subprocess.run(
        [str(binary), "profile", entry, "--python", python, "--runs", str(runs), "--format", "json"],
        cwd=cwd, env=clean_env(), capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"fastpath profile {entry}: exit {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("entry", nargs="?", default="awscli.clidriver")
    ap.add_argument("--fastpath")
    ap.add_argument("--python", default=str(BENCH / ".venv/bin/python"))
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--statistic", choices=["min", "median"], default="min")
    args = ap.parse_args()
    binary = find_binary(args.fastpath)
    if binary is None:
        print("no fastpath binary: cargo build --release -p fastpath", file=sys.stderr)
        return 2
    print(f"{args.entry} on {args.python}: {args.rounds} rounds of {args.runs} runs; load average {load()}")
    fp_rounds: list[dict[str, float]] = []
    plain_runs: list[dict[str, float]] = []
    fp_totals, plain_totals, contended = [], [], 0
    with tempfile.TemporaryDirectory(prefix="fastpath-agreement-") as cwd:
        for r in range(args.rounds):
            steps = ["tool", "plain"] if r % 2 == 0 else ["plain", "tool"]
            cpu = None
            for step in steps:
                if step == "tool":
                    doc = tool(binary, args.entry, args.python, args.runs, cwd)
                    cpu = doc.get("pinned")
                    contended += bool(doc.get("contention", {}).get("contended"))
                    fp_rounds.append({m["name"]: m["self_us"][args.statistic] for m in doc["modules"]})
                    fp_totals.append(doc["total_us"][args.statistic])
                else:
                    got = plain(args.entry, args.python, args.runs, cwd, cpu)
                    plain_runs.extend(got)
                    plain_totals.extend(sum(t.values()) for t in got)
    names = {n for run in plain_runs for n in run}
    pick = min if args.statistic == "min" else statistics.median
    plain_med = {n: pick(run.get(n, 0.0) for run in plain_runs) for n in names}
    fp_med = {n: pick(r.get(n, 0.0) for r in fp_rounds) for n in names}
    top = sorted(names, key=lambda n: -plain_med[n])[: args.top]
    print(f"self time, {args.statistic} over runs; top {args.top} modules by plain self time")
    print(f"{'module':<40} {'plain':>9} {'fastpath':>9} {'diff':>8}  within 15 % or 1 ms")
    outside = 0
    table = []
    for n in top:
        p, f = plain_med[n], fp_med[n]
        diff = f - p
        ok = abs(diff) <= ABSOLUTE_US or (p > 0 and abs(diff) / p <= RELATIVE)
        outside += not ok
        rel = f"{100 * diff / p:+.0f}%" if p > 0 else "-"
        print(f"{n:<40} {p / 1000:>6.2f} ms {f / 1000:>6.2f} ms {rel:>8}  {'yes' if ok else 'NO'}")
        table.append({"module": n, "plain_us": p, "fastpath_us": f, "within": ok})
    pt, ft = pick(plain_totals), pick(fp_totals)
    print(f"{'total (entry import)':<40} {pt / 1000:>6.2f} ms {ft / 1000:>6.2f} ms {100 * (ft - pt) / pt:>+7.0f}%")
    print(f"{outside} of {len(top)} top modules outside the bar; {contended} of {args.rounds} profiles contended; load average {load()}")
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "module_agreement.json").write_text(json.dumps({
        "entry": args.entry, "top": table, "plain_total_us": pt, "fastpath_total_us": ft,
        "contended_profiles": contended,
    }, indent=2) + "\n")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main())
