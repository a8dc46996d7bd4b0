"""What `python -m fastpath` costs on top of the bare binary, measured side by side.

Three commands run interleaved, in a fresh random order each round, so that a busy machine
weighs on all three alike:
  bare     VENV/bin/fastpath --version         the binary the wheel installs
  module   VENV/bin/python -m fastpath --version
  python   VENV/bin/python -c pass             the interpreter's own start-up
The goal (issue 13): module - bare <= python + 5 ms, i.e. `python -m fastpath` adds no more than
the interpreter's start-up and 5 ms. Each figure is the median wall time of fork, exec and wait;
the interval is the 25th to 75th percentile.

Usage: python3 bench/wheel_startup.py VENV [--rounds N] [--json FILE]
(VENV: a virtualenv with the wheel installed, e.g. built with `maturin build --release`.)
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venv")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    bin_dir = os.path.join(args.venv, "Scripts" if os.name == "nt" else "bin")
    python = os.path.join(bin_dir, "python")
    commands = {
        "bare": [os.path.join(bin_dir, "fastpath"), "--version"],
        "module": [python, "-m", "fastpath", "--version"],
        "python": [python, "-c", "pass"],
    }
    env = dict(os.environ)
    env.pop("FASTPATH_PYTHON", None)
    for command in commands.values():  # warm-up: page cache, .pyc files
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    times = {name: [] for name in commands}
    for _ in range(args.rounds):
        order = list(commands)
        random.shuffle(order)
        for name in order:
            start = time.perf_counter_ns()
            subprocess.run(commands[name], check=True, stdout=subprocess.DEVNULL, env=env)
            times[name].append((time.perf_counter_ns() - start) / 1e6)

    def summary(values):
        q = statistics.quantiles(values, n=4)
        return {"median_ms": statistics.median(values), "q1_ms": q[0], "q3_ms": q[2]}

    figures = {name: summary(values) for name, values in times.items()}
    overhead = [m - b for m, b in zip(times["module"], times["bare"])]
    figures["overhead"] = summary(overhead)
    median = {name: figures[name]["median_ms"] for name in figures}
    figures["ratio_module_to_bare"] = median["module"] / median["bare"]
    figures["goal_ms"] = median["python"] + 5
    figures["goal_met"] = median["overhead"] <= figures["goal_ms"]
    figures["rounds"] = args.rounds
    figures["load_average"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    figures["python_version"] = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout.strip()

    print("%d interleaved rounds, Python %s, load average %s" % (
        args.rounds, figures["python_version"], figures["load_average"]))
    for name in ("bare", "module", "python"):
        f = figures[name]
        print("  %-7s %7.2f ms  [%.2f, %.2f]  %s" % (
            name, f["median_ms"], f["q1_ms"], f["q3_ms"], " ".join(commands[name][-2:])))
    o = figures["overhead"]
    print("  python -m fastpath - bare: %.2f ms [%.2f, %.2f] (paired); ratio %.2fx" % (
        o["median_ms"], o["q1_ms"], o["q3_ms"], figures["ratio_module_to_bare"]))
    print("  goal: <= interpreter start-up + 5 ms = %.2f ms: %s" % (
        figures["goal_ms"], "met" if figures["goal_met"] else "NOT met"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
