#!/usr/bin/env python3
"""Do two consecutive `fastpath profile` calls on an unchanged project agree within the spread
they report?

For each entry (default: requests, in bench/.venv), REPS repetitions of two consecutive
`fastpath profile ENTRY --python PY --format json` calls (adaptive number of runs, the default)
from one neutral temporary directory. Each call reports the median import total
(`total_us.median`) with its uncertainty, the confidence interval the text report prints as
"median X within ±Y %" (`stability.ci_low_us` .. `ci_high_us`), and the spread of the runs
(`total_us.mad`, the median absolute deviation). A repetition agrees when

    |median_1 - median_2| <= h_1 + h_2    (h: each call's reported half-width; the goal)

that is, when the two reported intervals overlap. Goal: at least 9 of 10 repetitions agree. Two
other readings of "the spread they report" are printed as well: the runs' spreads added,
|median_1 - median_2| <= mad_1 + mad_2, and the larger one alone, <= max(mad_1, mad_2).
(With n runs, two medians differ by about 1.8 sigma / sqrt(n) while a MAD is 0.67 sigma: the
last reading fails often when a quiet machine lets the adaptive rule stop after 5 runs.)

Standard library only. Writes bench/out/profile_stability.json.

    python3 bench/profile_stability.py --fastpath target/release/fastpath
    python3 bench/profile_stability.py flask --reps 20
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import truth as truthmod  # sibling script: clean_env, BENCH
from profile_agreement import find_binary  # sibling script

BENCH = truthmod.BENCH
GOAL_FRACTION = 0.9


def profile(binary: Path, entry: str, python: str, cwd: str, extra: list[str]) -> dict:
    proc = subprocess.run(
        [str(binary), "profile", entry, "--python", python, "--format", "json", *extra],
        cwd=cwd,
        env=truthmod.clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"fastpath profile {entry}: exit {proc.returncode}: {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout)
    return {
        "median_us": doc["total_us"]["median"],
        "mad_us": doc["total_us"]["mad"],
        "ci_us": [doc["stability"]["ci_low_us"], doc["stability"]["ci_high_us"]],
        "runs": doc["runs"],
        "converged": doc["stability"]["converged"],
        "robust_cv": doc["stability"]["robust_cv"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("entries", nargs="*", default=["requests"])
    ap.add_argument("--python", default=str(truthmod.DEFAULT_PYTHON))
    ap.add_argument("--fastpath", default="target/release/fastpath")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument(
        "--extra", default="", help="more flags for fastpath profile, e.g. '--no-pin'"
    )
    ap.add_argument("--out", default=str(BENCH / "out" / "profile_stability.json"))
    args = ap.parse_args()

    python = str(Path(args.python).absolute())
    if not Path(python).exists():
        print(f"error: interpreter {python} not found (run bench/setup.sh)", file=sys.stderr)
        return 2
    binary = find_binary(args.fastpath)
    if binary is None:
        print(f"error: fastpath binary {args.fastpath} not found", file=sys.stderr)
        return 2
    extra = args.extra.split()

    report = {"schema": "fastpath.bench.profile-stability/1", "python": python,
              "reps": args.reps, "extra": extra, "entries": {}}
    ok = True
    with tempfile.TemporaryDirectory(prefix="fastpath-stability-") as cwd:
        for entry in args.entries:
            profile(binary, entry, python, cwd, ["--runs", "1"])  # fastpath's bytecode and interpreter caches
            reps = []
            for r in range(args.reps):
                a = profile(binary, entry, python, cwd, extra)
                b = profile(binary, entry, python, cwd, extra)
                diff = abs(a["median_us"] - b["median_us"])
                half = [(x["ci_us"][1] - x["ci_us"][0]) / 2 for x in (a, b)]
                spread = half[0] + half[1]
                within = diff <= spread
                mads = diff <= a["mad_us"] + b["mad_us"]
                max_mad = diff <= max(a["mad_us"], b["mad_us"])
                reps.append({"a": a, "b": b, "diff_us": diff, "spread_us": spread,
                             "within": within, "within_mads": mads, "within_max_mad": max_mad})
                print(
                    f"{entry} rep {r + 1:>2}: {a['median_us'] / 1e3:7.1f} ms ({a['runs']:>2} runs)"
                    f" vs {b['median_us'] / 1e3:7.1f} ms ({b['runs']:>2} runs): differ by"
                    f" {diff / 1e3:5.1f} ms; reported ±{half[0] / 1e3:.1f} and"
                    f" ±{half[1] / 1e3:.1f} ms -> {'within' if within else 'OUTSIDE'};"
                    f" MADs {a['mad_us'] / 1e3:.1f}, {b['mad_us'] / 1e3:.1f} ms",
                    flush=True,
                )
            n_within = sum(r["within"] for r in reps)
            n_mads = sum(r["within_mads"] for r in reps)
            n_max_mad = sum(r["within_max_mad"] for r in reps)
            met = n_within >= GOAL_FRACTION * len(reps)
            ok &= met
            print(
                f"{entry}: {n_within}/{len(reps)} repetitions within the reported intervals "
                f"({'MET' if met else 'NOT MET'}, goal >= {GOAL_FRACTION:.0%}); "
                f"{n_mads}/{len(reps)} within the two MADs added; "
                f"{n_max_mad}/{len(reps)} within the larger MAD"
            )
            report["entries"][entry] = {"reps": reps, "within": n_within,
                                        "within_mads": n_mads, "within_max_mad": n_max_mad,
                                        "goal_met": met}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
