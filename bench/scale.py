#!/usr/bin/env python3
"""Scale and hostile trees: what `fastpath graph --all` does with them, and what it costs.

Cases (each in a fresh temporary directory):
  scale       a generated tree of 50,000 `.py` files (--files) in packages of 100 modules, each
              with eager, deferred, TYPE_CHECKING, relative and cross-package imports;
              `fastpath graph --all DIR --format json` against `ruff analyze graph DIR` on the
              same tree: wall time and peak memory (the child's maximum resident set size, from
              wait4), median of --repeat runs each, and the number of files each reported.
  big-file    one 100 MB `.py` file (an import every few lines): time, peak memory, sites found.
  deep        packages nested 200 deep, the innermost module importing its way back up.
  unreadable  a directory and a file the walk cannot read (chmod 000; when running as root,
              which reads through permissions, the run drops to `nobody` with setpriv): each must
              be reported with its path while every other file is still analysed.
  pyproject   a pyproject.toml that is not UTF-8: a clear error naming the file, exit 2.

Figures taken on a shared machine are noisy: the load average is printed with them.

    python3 bench/scale.py --fastpath target/release/fastpath [--ruff PATH] [--files N]
    python3 bench/scale.py --only unreadable,pyproject

Standard library only. Writes bench/out/scale.json.
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


TIME = shutil.which("time", path="/usr/bin:/bin")


def run(cmd, cwd=None, preexec=None):
    """Runs cmd; returns (exit code, wall seconds, peak RSS in MB, stdout bytes, stderr text).

    Peak memory comes from GNU time (`%M`), which forks the command from its own small
    process: a child forked straight from this Python process would inherit this process's
    resident size as its high-water mark (Linux copies it at fork and keeps it across exec)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as rss:
        # Not under a dropped user (`preexec`): GNU time could not write its report.
        full = [TIME, "-f", "%M", "-o", rss.name, *cmd] if TIME and not preexec else cmd
        start = time.perf_counter()
        proc = subprocess.run(full, cwd=cwd, stdout=out, stderr=err, preexec_fn=preexec)
        wall = time.perf_counter() - start
        code = proc.returncode
        peak = float("nan")
        lines = [l for l in open(rss.name).read().splitlines() if l.strip()]
        if lines:
            try:
                peak = int(lines[-1]) / 1024.0
            except ValueError:
                pass
            if len(lines) > 1 and lines[0].startswith("Command exited with non-zero status"):
                code = int(lines[0].rsplit(" ", 1)[1])
        out.seek(0)
        err.seek(0)
        return code, wall, peak, out.read(), err.read().decode(errors="replace")


def generate_tree(root: Path, files: int) -> int:
    """`files` modules in packages of 100; returns the bytes written."""
    per_package = 100
    packages = max(1, files // per_package)
    written = 0
    for p in range(packages):
        pkg = root / f"pkg{p:04d}"
        pkg.mkdir(parents=True)
        init = f'"""Package {p}."""\nfrom . import mod000\n'
        (pkg / "__init__.py").write_text(init)
        written += len(init)
        for m in range(per_package - 1):
            other = (p * 7 + m) % packages
            text = (
                f'"""Module {m} of package {p}."""\n'
                "import os\nimport sys\n"
                f"from . import mod{(m + 1) % (per_package - 1):03d}\n"
                f"from pkg{other:04d} import mod{m:03d} as cross\n"
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    import decimal\n"
                "try:\n    import ujson as json\nexcept ImportError:\n    import json\n\n"
                "def handler(event):\n    import email.message\n"
                "    return email.message, event\n\n"
                f"class Thing{m}:\n    def run(self):\n        from .. import missing_{m}\n"
                "        return os.path.join(sys.prefix, 'x')\n"
            )
            (pkg / f"mod{m:03d}.py").write_text(text)
            written += len(text)
    return written


def fastpath_graph_all(fastpath, tree, preexec=None):
    return run(
        [fastpath, "graph", "--all", str(tree), "--format", "json"],
        cwd=tree,
        preexec=preexec,
    )


def case_scale(args, work, results):
    tree = work / "scale"
    tree.mkdir()
    t0 = time.perf_counter()
    size = generate_tree(tree, args.files)
    print(f"scale: generated {args.files} files, {size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")
    tools = {"fastpath": lambda: fastpath_graph_all(args.fastpath, tree)}
    if args.ruff:
        tools["ruff"] = lambda: run(
            [args.ruff, "analyze", "graph", str(tree)], cwd=tree
        )
    out = {"files": args.files, "bytes": size}
    for name, call in tools.items():
        walls, rss, counts = [], [], []
        for _ in range(args.repeat):
            code, wall, peak, stdout, stderr = call()
            if code != 0:
                print(f"scale: {name} exited {code}: {stderr[:500]}")
            walls.append(wall)
            rss.append(peak)
            try:
                data = json.loads(stdout)
                counts.append(data["files"] if name == "fastpath" else len(data))
            except (ValueError, KeyError):
                counts.append(None)
        out[name] = {
            "wall_s": walls,
            "median_wall_s": statistics.median(walls),
            "peak_rss_mb": rss,
            "median_peak_rss_mb": statistics.median(rss),
            "files_reported": counts[-1],
        }
        print(
            f"scale: {name:8} median {statistics.median(walls):.2f} s wall, "
            f"peak RSS {statistics.median(rss):.0f} MB, {counts[-1]} files reported "
            f"(runs: {', '.join(f'{w:.2f}' for w in walls)} s)"
        )
    results["scale"] = out


def case_big_file(args, work, results):
    tree = work / "big"
    tree.mkdir()
    chunk = "import os\nx = 'padding padding padding padding padding padding padding'\n" * 1000
    target = 100 * 1000 * 1000
    with open(tree / "big.py", "w") as f:
        written = 0
        while written < target:
            f.write(chunk)
            written += len(chunk)
    code, wall, peak, stdout, stderr = fastpath_graph_all(args.fastpath, tree)
    sites = None
    try:
        data = json.loads(stdout)
        sites = sum(len(f["sites"]) for f in data["tree"])
    except (ValueError, KeyError):
        pass
    print(f"big-file: {written / 1e6:.0f} MB, exit {code}, {wall:.2f} s, peak RSS {peak:.0f} MB, {sites} sites")
    results["big_file"] = {"bytes": written, "exit": code, "wall_s": wall, "peak_rss_mb": peak, "sites": sites}


def case_deep(args, work, results):
    tree = work / "deep"
    d = tree
    names = []
    for i in range(200):
        d = d / f"p{i}"
        d.mkdir(parents=True)
        (d / "__init__.py").write_text(f"from . import leaf\n")
        (d / "leaf.py").write_text("import json\n")
        names.append(f"p{i}")
    (d / "leaf.py").write_text("from " + "." * 200 + " import nothing_here\nimport " + ".".join(names) + "\n")
    code, wall, peak, stdout, stderr = fastpath_graph_all(args.fastpath, tree)
    files = None
    try:
        files = json.loads(stdout)["files"]
    except (ValueError, KeyError):
        pass
    entry = ".".join(names) + ".leaf"
    code2, wall2, peak2, out2, err2 = run(
        [args.fastpath, "graph", entry, "--format", "json"], cwd=tree
    )
    modules = None
    try:
        modules = len(json.loads(out2)["modules"])
    except (ValueError, KeyError):
        pass
    print(
        f"deep: 200 nested packages; graph --all exit {code}, {files} files, {wall:.2f} s; "
        f"graph {entry[:20]}... exit {code2}, {modules} modules, {wall2:.2f} s, peak RSS {peak2:.0f} MB"
    )
    if code2 != 0:
        print("deep: stderr: " + err2[:300])
    results["deep"] = {"graph_all_exit": code, "files": files, "graph_exit": code2, "modules": modules}


def drop_to_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def case_unreadable(args, work, results):
    tree = work / "unreadable"
    (tree / "pkg" / "locked").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("import json\n")
    (tree / "pkg" / "fine.py").write_text("import os\n")
    (tree / "pkg" / "secret.py").write_text("import email\n")
    (tree / "pkg" / "locked" / "inside.py").write_text("import csv\n")
    os.mkfifo(tree / "pkg" / "pipe.py")
    os.symlink(tree / "nowhere.py", tree / "pkg" / "dangling.py")
    for p in [work, tree, tree / "pkg"]:
        os.chmod(p, 0o755)
    for p in tree.rglob("*.py"):
        if p.is_file() and not p.is_symlink():
            os.chmod(p, 0o644)
    os.chmod(tree / "pkg" / "secret.py", 0o000)
    os.chmod(tree / "pkg" / "locked", 0o000)
    preexec = drop_to_nobody if os.geteuid() == 0 else None
    code, wall, peak, stdout, stderr = fastpath_graph_all(os.path.abspath(args.fastpath), tree, preexec)
    os.chmod(tree / "pkg" / "locked", 0o755)
    os.chmod(tree / "pkg" / "secret.py", 0o644)
    reported = {}
    analysed = []
    try:
        for f in json.loads(stdout)["tree"]:
            problems = [p for p in f.get("problems", []) if p["kind"] == "unreadable"]
            if problems:
                reported[f["path"]] = problems[0]["message"]
            else:
                analysed.append(f["path"])
    except (ValueError, KeyError) as e:
        print(f"unreadable: output not read: {e}; stderr: {stderr[:300]}")
    ok = set(reported) == {"pkg/secret.py", "pkg/locked"} and set(analysed) == {"pkg/__init__.py", "pkg/fine.py"}
    who = "as nobody (setuid)" if preexec else "as an unprivileged user"
    print(f"unreadable ({who}): exit {code}; reported {reported}; analysed {sorted(analysed)}; "
          f"the FIFO and the dangling symlink are skipped (not regular files) -> {'OK' if ok else 'UNEXPECTED'}")
    results["unreadable"] = {"exit": code, "reported": reported, "analysed": analysed, "ok": ok}


def case_pyproject(args, work, results):
    tree = work / "latin1"
    tree.mkdir()
    (tree / "pyproject.toml").write_bytes(b"[tool.fastpath]\nentry = \"caf\xe9\"\n")
    (tree / "app.py").write_text("import json\n")
    code, wall, peak, stdout, stderr = run([args.fastpath, "graph", "app"], cwd=tree)
    names_file = "pyproject.toml" in stderr
    print(f"pyproject (Latin-1 bytes): exit {code}; names the file: {names_file}; message: {stderr.strip()[:300]!r}")
    results["pyproject"] = {"exit": code, "names_file": names_file, "stderr": stderr.strip()}


CASES = {
    "scale": case_scale,
    "big-file": case_big_file,
    "deep": case_deep,
    "unreadable": case_unreadable,
    "pyproject": case_pyproject,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fastpath", default=str(HERE.parent / "target" / "release" / "fastpath"))
    parser.add_argument("--ruff", default=shutil.which("ruff"))
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=",".join(CASES))
    args = parser.parse_args()
    args.fastpath = os.path.abspath(args.fastpath)
    print(f"load average: {os.getloadavg()}; {os.cpu_count()} CPUs")
    if args.ruff:
        version = subprocess.run([args.ruff, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"peer: {version}")
    results = {"load_average": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="fastpath-scale-") as work:
        work = Path(work)
        os.chmod(work, 0o755)
        for name in args.only.split(","):
            CASES[name](args, work, results)
    results["load_average_after"] = os.getloadavg()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
