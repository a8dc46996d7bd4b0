#!/usr/bin/env python3
"""The cold start of real CLIs, measured by fastpath as a function entry against CPython's own
`-X importtime` of the same command.

For each CLI, fastpath profiles the console script's target (`pyflakes.api:main`, read from the
installed distribution's entry points) with `--args=--version`: it imports the module and calls
the function with `sys.argv = [name, "--version"]` in fresh interpreters. Its import figure (the
median of the runs) is compared with two references, each the median of RUNS runs:

- `script`: `python -X importtime VENV/bin/SCRIPT --version`, the command users type: the sum of
  every module's self time, leaving out the modules a bare `python -c pass` already loads at
  start-up (fastpath does not count those either).
- `-m`: `python -X importtime -m PKG --version`, the same sum, also leaving out the modules that
  only `-m`'s own machinery needs (runpy, importlib.util, pkgutil and what they load). Which
  those are is decided by CPython, not by fastpath: the modules `-m` of an empty module loads that
  the console-script run does not. runpy also preloads modules the program needs (collections,
  functools, contextlib); those stay counted, because the program would pay for them.

The figures should agree within 10 %.

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

def importtime_rows(python, args, cwd):
    """(depth, module, self_us) of each `-X importtime` row of one run."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # stderr goes to a file, as fastpath's runner sends it: a pipe read by this process while
    # the child writes some 600 rows made the child's imports about 7 % dearer here.
    with tempfile.TemporaryFile(mode="w+") as err:
        subprocess.run(
            [python, "-X", "importtime"] + args,
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        err.seek(0)
        stderr = err.read()
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        # `import time:       self |  cumulative | [indent]name`
        parts = line.split(":", 1)[1].split("|")
        if len(parts) != 3:
            continue
        own, name = parts[0].strip(), parts[2].rstrip()
        if not own.isdigit():
            continue
        name = name[1:] if name.startswith(" ") else name
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((depth, name.strip(), int(own)))
    return rows


def modules(python, args, cwd):
    return {name for _, name, _ in importtime_rows(python, args, cwd)}


def imports_us(python, args, cwd, left_out):
    """The sum of self times of one run's modules, those in `left_out` left out."""
    return sum(
        own for _, name, own in importtime_rows(python, args, cwd) if name not in left_out
    )


def console_script(python, package):
    """(script name, `module:function`) of the distribution's first console script."""
    code = (
        "import importlib.metadata as m, sys\n"
        "eps = [e for e in m.distribution(sys.argv[1]).entry_points "
        "if e.group == 'console_scripts']\n"
        "print(eps[0].name, eps[0].value)\n"
    )
    done = subprocess.run(
        [python, "-c", code, package], capture_output=True, text=True, check=True
    )
    name, target = done.stdout.split()
    return name, target


def fastpath_imports_us(fastpath, python, target, runs, cwd, no_pin):
    done = subprocess.run(
        [
            fastpath,
            "profile",
            target,
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
        help="let fastpath's runs move between CPUs, as the plain `python` runs do",
    )
    parser.add_argument("packages", nargs="+")
    args = parser.parse_args()
    cwd = tempfile.mkdtemp(prefix="fastpath-cli-bench-")
    with open(os.path.join(cwd, "fastpath_empty_module.py"), "w") as empty:
        empty.write("")
    startup = modules(args.python, ["-c", "pass"], cwd)
    machinery = modules(args.python, ["-m", "fastpath_empty_module"], cwd) - startup
    bindir = os.path.dirname(args.python)
    print("load average: %.2f %.2f %.2f" % os.getloadavg())
    print(
        "%-10s %-26s %9s %9s %7s %9s %7s"
        % ("cli", "measured as", "fastpath", "script", "diff", "-m", "diff")
    )
    worst = 0.0
    for package in args.packages:
        name, target = console_script(args.python, package)
        script = [os.path.join(bindir, name), "--version"]
        dash_m = ["-m", package, "--version"]
        # Warm the bytecode caches once, as fastpath's warm-up run does.
        script_modules = modules(args.python, script, cwd)
        modules(args.python, dash_m, cwd)
        m_only = startup | (machinery - script_modules)
        ours = fastpath_imports_us(
            args.fastpath, args.python, target, args.runs, cwd, args.no_pin
        )
        by_script, by_m = [], []
        for _ in range(args.runs):
            by_script.append(imports_us(args.python, script, cwd, startup))
            by_m.append(imports_us(args.python, dash_m, cwd, m_only))
        row = [package, target, ours / 1000]
        for reference in (statistics.median(by_script), statistics.median(by_m)):
            diff = (ours - reference) / reference
            worst = max(worst, abs(diff))
            row += [reference / 1000, 100 * diff]
        print("%-10s %-26s %7.1fms %7.1fms %+6.1f%% %7.1fms %+6.1f%%" % tuple(row))
    verdict = "within" if worst <= 0.10 else "OUTSIDE"
    print("worst difference: %.1f%% (%s 10%%)" % (100 * worst, verdict))
    return 0 if worst <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
