#!/usr/bin/env python3
"""`fastpath fix` on real projects' sources: does it converge, and does the program still run?

For each project (pipx, httpie, cookiecutter by default), from its sdist on the package index:
  1. the sdist is downloaded (`pip download --no-deps --no-binary :all:`) and unpacked into a
     fresh folder under --work; a virtualenv there gets the project's dependencies (the project
     is installed, then uninstalled, so only the unpacked sources provide it) and pytest;
  2. a `fastpath.toml` names the entry (the console script's module), the `src` roots, the
     interpreter and a `banned` list of the heavy dependencies its cold path pulls in;
  3. `fastpath fix` runs (verified by running the entry; the measured findings come from one
     saved `fastpath profile`, so both runs see the same ones), then, on a second fresh copy,
     `fastpath fix --test CMD` with the project's own tests where they run offline (a subset,
     so bisection stays affordable), else with the CLI's `--version` and `--help`;
  4. afterwards: the entry imports, `python -m PKG --version` and `--help` run, the tests pass
     as before, and a second `fastpath fix --diff` prints nothing (convergence);
  5. the report: counts of fixed, refused (not fixed), rolled back (no-win) and unsafe, the
     modules that left the cold path (sys.modules after `import ENTRY`, before and after) and
     the milliseconds saved (median of 9 `-X importtime` runs of the entry, before and after).

Standard library only. Writes bench/out/fix_real.json.

    python3 bench/fix_real.py --fastpath target/release/fastpath
    python3 bench/fix_real.py --only httpie --work /tmp/fixreal
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROJECTS = {
    "pipx": {
        "entry": "pipx.main",
        "package": "pipx",
        "src": ["src"],
        "banned": ["packaging", "platformdirs", "userpath", "argcomplete", "urllib.request", "logging.config"],
        # The sdist ships no tests: the CLI itself is the test.
        "tests": None,
    },
    "httpie": {
        "entry": "httpie.core",
        "package": "httpie",
        "src": [],
        "banned": ["requests", "pygments", "rich", "urllib3", "charset_normalizer", "multidict", "defusedxml"],
        "tests": "{python} -m pytest -q -x -p no:cacheprovider tests/test_output.py tests/test_sessions.py",
    },
    "cookiecutter": {
        "entry": "cookiecutter.cli",
        "package": "cookiecutter",
        "src": [],
        "banned": ["jinja2", "requests", "rich", "yaml", "arrow", "slugify", "binaryornot"],
        "tests": "{python} -m pytest -q -x -p no:cacheprovider -o addopts= tests/test_cli.py tests/test_main.py",
    },
}


def sh(args, cwd=None, env=None, timeout=1800, check=False):
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise SystemExit(f"failed: {args}\n{result.stdout}\n{result.stderr}")
    return result


def find_fastpath(given: str | None) -> Path:
    candidates = [given] if given else ["target/release/fastpath", "target/debug/fastpath"]
    for candidate in candidates:
        for base in (Path.cwd(), HERE.parent):
            path = (base / candidate).resolve()
            if path.is_file():
                return path
    raise SystemExit(f"no fastpath binary at {candidates}: build it first")


def sdist(name: str, work: Path) -> Path:
    out = work / "sdists"
    out.mkdir(parents=True, exist_ok=True)
    found = sorted(out.glob(f"{name}-*.tar.gz"))
    if not found:
        sh([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", name,
            "-d", str(out)], check=True)
        found = sorted(out.glob(f"{name}-*.tar.gz"))
    return found[-1]


def unpack(archive: Path, into: Path) -> Path:
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (root,) = [p for p in into.iterdir() if p.is_dir()]
    return root


def venv(name: str, source: Path, work: Path) -> Path:
    path = work / f"venv-{name}"
    python = path / "bin" / "python"
    if not python.exists():
        sh([sys.executable, "-m", "venv", str(path)], check=True)
        sh([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source),
            "pytest", "pytest-mock"], check=True)
        sh([str(python), "-m", "pip", "uninstall", "-q", "-y", name], check=True)
        extra = {"httpie": ["responses", "pytest-httpbin", "werkzeug"], "cookiecutter": ["freezegun"]}
        if name in extra:
            sh([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                *extra[name]], check=True)
    return python


def configure(root: Path, spec: dict, python: Path) -> None:
    lines = [
        f'entry = "{spec["entry"]}"',
        f"python = {json.dumps(str(python))}",
        f"src = {json.dumps(spec['src'])}",
        f"banned = {json.dumps(spec['banned'])}",
    ]
    (root / "fastpath.toml").write_text("\n".join(lines) + "\n")


def env_for(root: Path, spec: dict) -> dict:
    env = dict(os.environ)
    roots = [str(root / s) for s in spec["src"]] + [str(root)]
    env["PYTHONPATH"] = os.pathsep.join(roots)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def loaded(python: Path, root: Path, spec: dict) -> tuple[bool, set[str], str]:
    probe = f"import sys, {spec['entry']}; print('\\n'.join(sorted(sys.modules)))"
    result = sh([str(python), "-c", probe], cwd=root, env=env_for(root, spec))
    last = (result.stderr.strip().splitlines() or [""])[-1]
    return result.returncode == 0, set(result.stdout.split()), last


def import_ms(python: Path, root: Path, spec: dict, runs: int = 9) -> float:
    """Median cumulative import time of the entry, from `-X importtime`, in ms."""
    times = []
    for _ in range(runs):
        result = sh([str(python), "-X", "importtime", "-c", f"import {spec['entry']}"],
                    cwd=root, env=env_for(root, spec))
        for line in result.stderr.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2] == spec["entry"]:
                times.append(int(parts[1].split(":")[-1]) / 1000)
    return statistics.median(times) if times else float("nan")


def smoke(python: Path, root: Path, spec: dict) -> dict:
    out = {}
    for flag in ("--version", "--help"):
        result = sh([str(python), "-m", spec["package"], flag], cwd=root, env=env_for(root, spec))
        out[flag] = result.returncode == 0
    return out


REPORT = {
    "fixed": re.compile(r": (?:FP\d{3}(?:, FP\d{3})*|also loads .*?) fixed \("),
    "refused": re.compile(r": (?:FP\d{3}(?:, FP\d{3})* not fixed: |also loads .*, which stays: )"),
    "no-win": re.compile(r" rolled back \(no-win"),
    "unsafe": re.compile(r" rolled back \(unsafe"),
}


def counts(report: str) -> dict:
    out = {k: sum(1 for line in report.splitlines() if rx.search(line)) for k, rx in REPORT.items()}
    summary = [l for l in report.splitlines() if l.startswith(("Fixed ", "Would fix ", "No finding"))]
    out["summary"] = summary[-1] if summary else ""
    return out


def run_fix(fastpath: Path, root: Path, args: list[str]) -> tuple[int, str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    result = sh([str(fastpath), "fix", *args], cwd=root, env=env, timeout=3600)
    return result.returncode, result.stdout, result.stderr


def one(name: str, fastpath: Path, work: Path, runs: int) -> dict:
    spec = PROJECTS[name]
    archive = sdist(name, work)
    print(f"== {name}: {archive.name}", flush=True)
    python = venv(name, unpack(archive, work / "src" / name), work)
    result = {"project": name, "sdist": archive.name, "entry": spec["entry"]}
    tests = spec["tests"].format(python=python) if spec["tests"] else None
    smoke_test = (f"{python} -m {spec['package']} --version >/dev/null && "
                  f"{python} -m {spec['package']} --help >/dev/null")
    for mode in ("fix", "fix --test"):
        root = unpack(archive, work / "runs" / name / mode.replace(" ", "_"))
        configure(root, spec, python)
        ok, before, _ = loaded(python, root, spec)
        tests_before = None
        if tests:
            tests_before = sh(["sh", "-c", tests], cwd=root, env=env_for(root, spec)).returncode == 0
        ms_before = import_ms(python, root, spec)
        # One saved profile serves both runs, so the measured findings (FP104) are the same
        # ones and the second run tests the fix engine, not the machine's noise.
        profile = root.parent / "profile.json"
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        measured = sh([str(fastpath), "profile", "--format", "json", "--runs", str(runs)],
                      cwd=root, env=env, timeout=3600)
        profile.write_text(measured.stdout)
        args = ["--profile", str(profile)]
        if mode == "fix --test":
            test_cmd = tests if tests and tests_before else smoke_test
            # The test command sees the sources through PYTHONPATH, as the entry does.
            roots = os.pathsep.join([str(root / s) for s in spec["src"]] + [str(root)])
            # A private TMPDIR: pytest's shared /tmp/pytest-of-USER fails under concurrent runs.
            tmp = root.parent / "tmp"
            args += ["--test", f"export PYTHONPATH={roots}; mkdir -p {tmp}; "
                               f"export TMPDIR={tmp}; {test_cmd}"]
        code, stdout, stderr = run_fix(fastpath, root, args)
        ok_after, after, last = loaded(python, root, spec)
        ms_after = import_ms(python, root, spec)
        tests_after = None
        if tests:
            tests_after = sh(["sh", "-c", tests], cwd=root, env=env_for(root, spec)).returncode == 0
        # The second run is asked the same question: with the same tests, when there are some.
        second = run_fix(fastpath, root, ["--diff", *args])
        second_static = run_fix(fastpath, root, ["--diff", "--static"])
        entry = {
            "exit": code,
            "counts": counts(stdout),
            "entry_imports_before": ok,
            "entry_imports_after": ok_after,
            "error_after": None if ok_after else last,
            "smoke_after": smoke(python, root, spec),
            "tests": tests if mode == "fix --test" and tests and tests_before else (
                "--version and --help" if mode == "fix --test" else None),
            "tests_pass_before": tests_before,
            "tests_pass_after": tests_after,
            "modules_before": len(before),
            "modules_after": len(after),
            "left_cold_path": sorted(before - after),
            "import_ms_before": round(ms_before, 1),
            "import_ms_after": round(ms_after, 1),
            "ms_saved": round(ms_before - ms_after, 1),
            "second_diff_stdout_empty": second[1] == "",
            "second_diff_stdout": second[1][:2000],
            "second_static_diff_stdout_empty": second_static[1] == "",
            "second_static_diff_stdout": second_static[1][:2000],
            "report": stdout.splitlines(),
            "stderr_tail": stderr.splitlines()[-10:],
        }
        result[mode] = entry
        c = entry["counts"]
        print(f"  {mode}: exit {code}; fixed {c['fixed']}, refused {c['refused']}, "
              f"no-win {c['no-win']}, unsafe {c['unsafe']}; modules {len(before)} -> {len(after)} "
              f"({len(before - after)} left); entry {ms_before:.1f} -> {ms_after:.1f} ms; "
              f"imports after: {ok_after}; --version/--help: {entry['smoke_after']}; "
              f"tests before/after: {tests_before}/{tests_after}; "
              f"second --diff empty: {entry['second_diff_stdout_empty']} "
              f"(--static: {entry['second_static_diff_stdout_empty']})", flush=True)
        print(f"    {c['summary']}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fastpath")
    parser.add_argument("--work", default="/tmp/fastpath-fix-real")
    parser.add_argument("--only", action="append", choices=sorted(PROJECTS))
    parser.add_argument("--runs", type=int, default=3, help="measured runs per profile")
    args = parser.parse_args()
    fastpath = find_fastpath(args.fastpath)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = [one(name, fastpath, work, args.runs) for name in (args.only or PROJECTS)]
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "fix_real.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out / 'fix_real.json'}")


if __name__ == "__main__":
    main()
