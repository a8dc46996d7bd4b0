#!/usr/bin/env python3
"""The cold start of real CLIs, measured by fastpath as a function entry against CPython's own
`-X importtime` of the command.

For each CLI, `fastpath profile PKG.__main__:main --args=--version` imports the module and calls
`main()` with `sys.argv = [name, "--version"]` in fresh interpreters; its import figure (median
of the runs) is compared with the imports `python -X importtime -m PKG --version` reports: the
cumulative time of its top-level rows, leaving out the modules a bare `python -c pass` already
loads at start-up (fastpath does not count those either) and `runpy`'s own machinery. Both sides
take the median of RUNS runs. The two should agree within 10 %.

Usage:
    python3 bench/cli_cold_start.py --fastpath target/release/fastpath \
        --python /tmp/venv/bin/python [--runs 15] httpie pyflakes

The virtualenv needs the CLIs installed (`pip install httpie pyflakes`). Figures on a loaded
machine are noisy: quote the load average with them.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

# `-m` runs the package's `__main__` through runpy, which imports these itself; `fastpath`
# imports the entry directly and never loads them.
RUNPY = {"runpy", "importlib.machinery", "importlib.util", "pkgutil"}


def importtime_rows(python, args, cwd):
    """(depth, module, cumulative_us) of each `-X importtime` row of one run."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [python, "-X", "importtime"] + args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        # `import time:       self |  cumulative | [indent]name`
        parts = line.split(":", 1)[1].split("|")
        if len(parts) != 3:
            continue
        cumulative, name = parts[1].strip(), parts[2].rstrip()
        if not cumulative.isdigit():
            continue
        name = name[1:] if name.startswith(" ") else name
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((depth, name.strip(), int(cumulative)))
    return rows


def command_imports_us(python, package, cwd):
    """Top-level cumulative import time of `python -m PACKAGE --version`, start-up left out."""
    startup = {name for _, name, _ in importtime_rows(python, ["-c", "pass"], cwd)}
    rows = importtime_rows(python, ["-m", package, "--version"], cwd)
    return sum(
        cumulative
        for depth, name, cumulative in rows
        if depth == 0 and name not in startup and name not in RUNPY
    )


def fastpath_imports_us(fastpath, python, package, runs, cwd, no_pin):
    done = subprocess.run(
        [
            fastpath,
            "profile",
            package + ".__main__:main",
            "--args=--version",
            "--runs",
            str(runs),
            "--python",
            python,
            "--format",
            "json",
        ]
        + (["--no-pin"] if no_pin else []),
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit("fastpath profile failed:\n" + done.stderr)
    return json.loads(done.stdout)["total_us"]["median"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fastpath", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let fastpath's runs move between CPUs, as the plain `python -m` runs do",
    )
    parser.add_argument("packages", nargs="+")
    args = parser.parse_args()
    cwd = tempfile.mkdtemp(prefix="fastpath-cli-bench-")
    print("load average: %.2f %.2f %.2f" % os.getloadavg())
    print("%-10s %14s %14s %8s" % ("cli", "fastpath (ms)", "importtime (ms)", "diff"))
    worst = 0.0
    for package in args.packages:
        # Warm the bytecode caches once, as fastpath's warm-up run does.
        importtime_rows(args.python, ["-m", package, "--version"], cwd)
        ours = fastpath_imports_us(
            args.fastpath, args.python, package, args.runs, cwd, args.no_pin
        )
        theirs = statistics.median(
            command_imports_us(args.python, package, cwd) for _ in range(args.runs)
        )
        diff = (ours - theirs) / theirs
        worst = max(worst, abs(diff))
        print(
            "%-10s %14.1f %14.1f %+7.1f%%"
            % (package, ours / 1000, theirs / 1000, 100 * diff)
        )
    print("worst difference: %.1f%% (%s 10%%)" % (100 * worst, "within" if worst <= 0.10 else "OUTSIDE"))
    return 0 if worst <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
