"""What `python -m fastpath` costs on top of the bare binary, measured side by side.

Three commands run interleaved, in a fresh random order each round, so that a busy machine
weighs on all three alike:
  bare     VENV/bin/fastpath --version         the binary the wheel installs
  module   VENV/bin/python -m fastpath --version
  python   VENV/bin/python -c pass             the interpreter's own start-up
  python-m VENV/bin/python -m noop             an empty module run with -m: start-up, runpy (which
                                              the interpreter imports before any code of ours)
                                              and the interpreter's shutdown, which
                                              `python -m fastpath` skips by exec'ing the binary
The goal (issue 13): module - bare <= python + 5 ms, i.e. `python -m fastpath` adds no more than
the interpreter's start-up and 5 ms. Each figure is the median over rounds of the wall time of
spawn and wait, and of the child's CPU time (user + system, from wait4: it includes the binary
that `python -m fastpath` execs into, and a busy machine inflates it far less than wall time);
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
import tempfile
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
        "python-m": [python, "-m", "noop"],
    }
    env = dict(os.environ)
    env.pop("FASTPATH_PYTHON", None)
    noop_dir = tempfile.mkdtemp()
    open(os.path.join(noop_dir, "noop.py"), "w").close()
    env["PYTHONPATH"] = noop_dir
    for command in commands.values():  # warm-up: page cache, .pyc files
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    times = {name: [] for name in commands}
    cpu = {name: [] for name in commands}
    for _ in range(args.rounds):
        order = list(commands)
        random.shuffle(order)
        for name in order:
            start = time.perf_counter_ns()
            child = subprocess.Popen(commands[name], stdout=subprocess.DEVNULL, env=env)
            _, status, usage = os.wait4(child.pid, 0)
            times[name].append((time.perf_counter_ns() - start) / 1e6)
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode != 0:
                raise SystemExit("%s exited %d" % (commands[name], child.returncode))
            cpu[name].append((usage.ru_utime + usage.ru_stime) * 1000)

    def summary(values):
        q = statistics.quantiles(values, n=4)
        return {"median_ms": statistics.median(values), "q1_ms": q[0], "q3_ms": q[2]}

    figures = {}
    for clock, values in (("wall", times), ("cpu", cpu)):
        f = {name: summary(v) for name, v in values.items()}
        f["overhead"] = summary([m - b for m, b in zip(values["module"], values["bare"])])
        median = {name: f[name]["median_ms"] for name in f}
        f["ratio_module_to_bare"] = median["module"] / median["bare"]
        f["goal_ms"] = median["python"] + 5
        f["goal_met"] = median["overhead"] <= f["goal_ms"]
        figures[clock] = f
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
    for clock in ("wall", "cpu"):
        f = figures[clock]
        print("%s time (median [q1, q3]):" % clock)
        for name in commands:
            print("  %-9s %7.2f ms  [%.2f, %.2f]  %s" % (
                name, f[name]["median_ms"], f[name]["q1_ms"], f[name]["q3_ms"],
                " ".join(commands[name])))
        o = f["overhead"]
        print("  python -m fastpath - bare: %.2f ms [%.2f, %.2f] (paired); ratio %.2fx" % (
            o["median_ms"], o["q1_ms"], o["q3_ms"], f["ratio_module_to_bare"]))
        print("  goal: <= interpreter start-up + 5 ms = %.2f ms: %s" % (
            f["goal_ms"], "met" if f["goal_met"] else "NOT met"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
