#!/usr/bin/env python3
"""The regression gate's power on this machine: false alarms and detections out of N trials.

Two synthetic projects are generated in a temporary directory: an entry `app` that imports a
few standard-library modules and `work`, a module already on the cold path whose import does
CPU work (a counted loop, calibrated here). The change adds work to `work` at import time: no
new module, so only timing can see it. Settings (default): a cold start (import time) of about
45 ms with +10 ms, and about 30 ms with +5 ms.

Each trial checks the unchanged project and the changed one (in alternating order), with:
  - fastpath check, against fastpath-baseline.json (recorded once per setting, before the trials,
    as a committed baseline would be);
  - fastpath check --against HEAD (the change is uncommitted in the working tree);
  - importtime-check (its own baseline, recorded at the same moment: 1 ms / 10 % allowances);
  - importguard (no baseline of its own: a --max-ms budget of the median it measured at that
    moment plus 10 %, checked with --repeat 5).
A false alarm is a regression reported on the unchanged project; a detection is one reported
on the changed project. For fastpath, FP201 counts; whether FP202 named `work` is reported too.

    bench/setup.sh                       # bench/.venv (the peers are pinned in requirements.txt)
    cargo build --release -p fastpath
    python3 bench/gate_power.py          # 20 trials per setting -> bench/out/gate_power.json
    python3 bench/gate_power.py --trials 3 --settings 45:10   # a quick look

Uses the standard library only. Wall times per check are reported (median and max).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

STDLIB_IMPORTS = ["json", "logging", "decimal", "dataclasses", "typing"]

WORK = """\
def _work(n):
    total = 0
    for i in range(n):
        total += i
    return total


TOTAL = _work({n})
"""


def run(cmd, cwd=None, env=None, timeout=300):
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc, time.perf_counter() - started


def import_total_ms(python, project, runs=9):
    """Median CPU time of importing `app`, in ms: what the import costs on an idle machine
    (wall time on this shared machine swings with other people's builds)."""
    code = "import time; t = time.process_time(); import app; print(time.process_time() - t)"
    totals = []
    for _ in range(runs):
        proc, _ = run([python, "-c", code], cwd=project)
        totals.append(float(proc.stdout.strip()) * 1000)
    return statistics.median(totals)


def paired_delta_ms(python, a, b, pairs=15):
    """Median over alternating pairs of (CPU time importing app in b) - (in a), in ms."""
    import_total_ms(python, a, runs=1)
    import_total_ms(python, b, runs=1)
    diffs = []
    for i in range(pairs):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        x = import_total_ms(python, first, runs=1)
        y = import_total_ms(python, second, runs=1)
        diffs.append(y - x if first == a else x - y)
    return statistics.median(diffs)


def calibrate(python):
    """Loop iterations per ms of CPU in `_work`, measured in the target interpreter."""
    code = (
        "import time\n"
        "def w(n):\n    t=0\n    for i in range(n):\n        t+=i\n    return t\n"
        "best=[]\n"
        "for _ in range(7):\n"
        "    s=time.process_time(); w(500000); best.append(time.process_time()-s)\n"
        "best.sort(); print(500000/(best[3]*1000))\n"
    )
    proc, _ = run([python, "-c", code])
    return float(proc.stdout.strip())


def git(project, *args):
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
    )
    proc, _ = run(["git", *args], cwd=project, env=env)
    if proc.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed: {proc.stderr}")


def make_project(python, directory, target_ms, delta_ms, per_ms):
    """Writes the project, tunes `work` so that importing app takes about target_ms, commits."""
    directory.mkdir(parents=True)
    (directory / "app.py").write_text(
        "".join(f"import {m}\n" for m in STDLIB_IMPORTS) + "import work\n"
    )
    (directory / "pyproject.toml").write_text('[tool.fastpath]\nentry = "app"\n')
    (directory / ".gitignore").write_text("__pycache__/\n.fastpath/\n")
    (directory / "work.py").write_text(WORK.format(n=0))
    base = import_total_ms(python, directory)
    n = max(0, int((target_ms - base) * per_ms))
    for _ in range(2):
        (directory / "work.py").write_text(WORK.format(n=n))
        measured = import_total_ms(python, directory)
        n = max(0, int(n + (target_ms - measured) * per_ms))
    (directory / "work.py").write_text(WORK.format(n=n))
    # The added work is tuned on two copies measured alternately (the machine's speed drifts
    # with other jobs, so base and changed must be measured at the same moments).
    extra = int(delta_ms * per_ms)
    twin = directory.parent / "twin"
    for _ in range(3):
        shutil.rmtree(twin, ignore_errors=True)
        shutil.copytree(directory, twin)
        (twin / "work.py").write_text(WORK.format(n=n + extra))
        grown = paired_delta_ms(python, directory, twin)
        if grown > 0:
            extra = int(extra * min(2.0, max(0.5, delta_ms / grown)))
    shutil.rmtree(twin, ignore_errors=True)
    (directory / "work.py").write_text(WORK.format(n=n))
    git(directory, "init", "-q", "-b", "main")
    git(directory, "add", ".")
    git(directory, "commit", "-q", "-m", "project")
    return WORK.format(n=n), WORK.format(n=n + extra)


def set_state(project, text):
    (project / "work.py").write_text(text)


class Tool:
    """One gate under test: prepare() records its baseline, check() says regression or not."""

    name = ""

    def prepare(self, project):
        pass

    def check(self, project):
        raise NotImplementedError


class FastpathBaseline(Tool):
    def __init__(self, fastpath, python):
        self.fastpath, self.python = fastpath, python
        self.name = "fastpath (baseline file)"

    def prepare(self, project):
        proc, seconds = run([self.fastpath, "baseline", "--python", self.python], cwd=project)
        if proc.returncode != 0:
            sys.exit(f"fastpath baseline failed: {proc.stderr}")
        self.baseline_seconds = seconds

    def args(self):
        return []

    def check(self, project):
        proc, seconds = run(
            [self.fastpath, "check", "--python", self.python, "--output-format", "json", *self.args()],
            cwd=project,
        )
        if proc.returncode not in (0, 1):
            sys.exit(f"{self.name} failed: {proc.stderr}")
        diagnostics = json.loads(proc.stdout)["diagnostics"]
        codes = [(d["code"], d["message"]) for d in diagnostics]
        regressed = any(code == "FP201" for code, _ in codes)
        named = any(code == "FP202" and msg.startswith("`work`") for code, msg in codes)
        fp201 = [d["message"] + " | " + " | ".join(d["notes"]) for d in diagnostics if d["code"] == "FP201"]
        return regressed, seconds, {"named_work": named, "fp201": fp201}


class FastpathAgainst(FastpathBaseline):
    def __init__(self, fastpath, python):
        super().__init__(fastpath, python)
        self.name = "fastpath --against HEAD"

    def prepare(self, project):
        pass

    def args(self):
        return ["--against", "HEAD"]


class ImporttimeCheck(Tool):
    """importtime-check: isolated-mode children (`-I`), so the project goes on sys.path via a
    .pth file. It resolves the interpreter's symlinks, which leaves a symlinked virtualenv, so
    the gates all run in a virtualenv made with --copies (see `peers_venv`)."""

    def __init__(self, venv):
        self.venv = venv
        self.exe = str(venv / "bin" / "importtime-check")
        self.name = "importtime-check 0.2.0a1 (5 samples, 1 ms / 10 %)"

    def prepare(self, project):
        site = run([str(self.venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])[0].stdout.strip()
        self.pth = Path(site) / "gate_power_project.pth"
        self.pth.write_text(str(project) + "\n")
        self.file = project / ".fastpath" / "importtime-baseline.json"
        self.file.parent.mkdir(exist_ok=True)
        proc, _ = run(
            [self.exe, "baseline", "record", "--output", str(self.file), "--module", "app",
             "--max-increase-us", "1000", "--max-increase-percent", "10", "--replace"],
            cwd=project,
        )
        if proc.returncode != 0:
            sys.exit(f"importtime-check baseline record failed: {proc.stdout}{proc.stderr}")

    def check(self, project):
        proc, seconds = run([self.exe, "check", "--baseline", str(self.file)], cwd=project)
        if proc.returncode not in (0, 1):
            sys.exit(f"importtime-check check failed: {proc.stdout}{proc.stderr}")
        return proc.returncode == 1, seconds, {}

    def cleanup(self):
        if getattr(self, "pth", None) and self.pth.exists():
            self.pth.unlink()


class Importguard(Tool):
    """importguard: a budget of the median measured at baseline time plus 10 %."""

    def __init__(self, venv):
        self.exe = str(venv / "bin" / "importguard")
        self.python = str(venv / "bin" / "python")
        self.name = "importguard 0.1.0 (--repeat 5, budget = median + 10 %)"

    def measure(self, project, extra):
        proc, seconds = run(
            [self.exe, "check", "app", "--repeat", "5", "--json", "--python", self.python, *extra],
            cwd=project,
        )
        return proc, seconds

    def prepare(self, project):
        proc, _ = self.measure(project, [])
        data = json.loads(proc.stdout)
        ms = data.get("median_ms") or data.get("total_ms")
        if ms is None:
            sys.exit(f"importguard: no time in {proc.stdout[:500]}")
        self.budget = ms * 1.10

    def check(self, project):
        proc, seconds = self.measure(project, ["--max-ms", f"{self.budget:.1f}"])
        return proc.returncode != 0, seconds, {}


def peers_venv(base_venv, directory):
    """A virtualenv with a copied interpreter and the peers pinned in requirements.txt."""
    pins = [line.strip() for line in (HERE / "requirements.txt").read_text().splitlines()
            if line.split("==")[0].strip().lower() in ("importtime-check", "importguardpy")]
    proc, _ = run([str(base_venv / "bin" / "python"), "-m", "venv", "--copies", str(directory)])
    if proc.returncode != 0:
        sys.exit(f"venv --copies failed: {proc.stderr}")
    if pins:
        proc, _ = run([str(directory / "bin" / "python"), "-m", "pip", "install", "-q",
                       "--disable-pip-version-check", "--no-deps", *pins])
        if proc.returncode != 0:
            print(f"  the peers did not install: {proc.stderr.strip()[-300:]}")
    return directory


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--settings", default="45:10,30:5", help="TARGET_MS:DELTA_MS,...")
    parser.add_argument("--fastpath", default=None)
    parser.add_argument("--no-fastpath", action="store_true")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--python", default=str(HERE / ".venv" / "bin" / "python"),
                        help="the interpreter whose version makes the gates' virtualenv")
    parser.add_argument("--out", default=str(HERE / "out" / "gate_power.json"))
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="gate-power-venv-"))
    venv = peers_venv(Path(args.python).parent.parent, scratch / "venv")
    python = str(venv / "bin" / "python")
    fastpath = args.fastpath
    if fastpath is None:
        for candidate in [Path("target/release/fastpath"), ROOT / "target" / "release" / "fastpath"]:
            if candidate.exists():
                fastpath = str(candidate.resolve())
                break
    if not args.no_fastpath and (fastpath is None or not Path(fastpath).exists()):
        sys.exit("no fastpath binary: build it (cargo build --release -p fastpath) or pass --fastpath PATH")

    per_ms = calibrate(python)
    results = {"machine": {"cpus": os.cpu_count(), "loadavg_start": loadavg()},
               "python": python, "iterations_per_ms": round(per_ms), "settings": []}
    print(f"calibrated: {per_ms:.0f} loop iterations per ms; load average {loadavg()}")

    for setting in args.settings.split(","):
        target, delta = (float(x) for x in setting.split(":"))
        tmp = Path(tempfile.mkdtemp(prefix="gate-power-"))
        project = tmp / "project"
        try:
            unchanged, changed = make_project(python, project, target, delta, per_ms)
            measured_base = import_total_ms(python, project, runs=15)
            twin = tmp / "twin"
            shutil.copytree(project, twin)
            set_state(twin, changed)
            measured_changed = measured_base + paired_delta_ms(python, project, twin, pairs=21)
            shutil.rmtree(twin)
            print(f"\nsetting: import time ~{target:.0f} ms (measured: {measured_base:.1f} ms of CPU), "
                  f"+{delta:.0f} ms (measured: {measured_changed - measured_base:+.1f} ms of CPU)")
            tools = []
            if not args.no_fastpath:
                tools += [FastpathBaseline(fastpath, python), FastpathAgainst(fastpath, python)]
            if not args.no_peers:
                if (venv / "bin" / "importtime-check").exists():
                    tools.append(ImporttimeCheck(venv))
                else:
                    print("  importtime-check is not installed in", venv)
                if (venv / "bin" / "importguard").exists():
                    tools.append(Importguard(venv))
                else:
                    print("  importguard is not installed in", venv)
            # Every baseline is recorded now, at the same moment, on the unchanged project.
            for tool in tools:
                tool.prepare(project)
            tally = {t.name: {"false_alarms": 0, "detections": 0, "seconds": [], "named_work": 0,
                              "outcomes": []}
                     for t in tools}
            for trial in range(args.trials):
                states = [("unchanged", unchanged), ("changed", changed)]
                if trial % 2:
                    states.reverse()
                for state, text in states:
                    set_state(project, text)
                    order = tools[trial % len(tools):] + tools[:trial % len(tools)]
                    for tool in order:
                        regressed, seconds, extra = tool.check(project)
                        t = tally[tool.name]
                        t["seconds"].append(round(seconds, 3))
                        t["outcomes"].append({"trial": trial + 1, "state": state,
                                              "regression": regressed, "seconds": round(seconds, 3),
                                              **({"fp201": extra["fp201"]} if extra.get("fp201") else {})})
                        if state == "unchanged" and regressed:
                            t["false_alarms"] += 1
                        if state == "changed" and regressed:
                            t["detections"] += 1
                            t["named_work"] += int(extra.get("named_work", False))
                set_state(project, unchanged)
                done = trial + 1
                line = "; ".join(f"{name.split(' (')[0]}: FA {t['false_alarms']} det {t['detections']}"
                                 for name, t in tally.items())
                print(f"  trial {done}/{args.trials}: {line}", flush=True)
            for tool in tools:
                if hasattr(tool, "cleanup"):
                    tool.cleanup()
            print(f"  {'gate':<58} {'false alarms':>12} {'detections':>10} {'s/check median':>14} {'max':>6}")
            for name, t in tally.items():
                s = t["seconds"]
                print(f"  {name:<58} {t['false_alarms']:>9}/{args.trials} {t['detections']:>7}/{args.trials} "
                      f"{statistics.median(s):>14.2f} {max(s):>6.2f}")
            fp = [t for n, t in tally.items() if n.startswith("fastpath")]
            for name, t in tally.items():
                if name.startswith("fastpath") and t["detections"]:
                    print(f"  {name}: FP202 named `work` in {t['named_work']} of {t['detections']} detections")
            results["settings"].append({
                "target_ms": target, "delta_ms": delta,
                "measured_import_ms": round(measured_base, 2),
                "measured_delta_ms": round(measured_changed - measured_base, 2),
                "trials": args.trials, "gates": tally, "loadavg_end": loadavg(),
            })
            del fp
        finally:
            for tool in locals().get("tools", []):
                if hasattr(tool, "cleanup"):
                    tool.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
    results["machine"]["loadavg_end"] = loadavg()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwrote {out}; load average {loadavg()}")


if __name__ == "__main__":
    main()
