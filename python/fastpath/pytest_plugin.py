"""The pytest plugin: ``pytest --fastpath`` and the ``fastpath_budget`` fixture.

``pytest --fastpath`` adds one test item per entry of each fastpath project it finds: every
``fastpath.toml``, and every ``pyproject.toml`` with ``[tool.fastpath]``, among the files pytest
collects; else the project around the directory pytest was started in, found the way
``fastpath check`` finds it. Each item runs ``fastpath check`` (static, ``--static``, unless
``--fastpath-measure``) and fails with the entry's findings, one line each as
``fastpath check --output-format concise`` prints them. One check runs per project, however many
entries it has.

``fastpath_budget`` gives a test the seed's two assertions, one line each::

    def test_fast_path(fastpath_budget):
        fastpath_budget.import_time("fast_path", under_ms=200)
        fastpath_budget.manifest_imports(fewer_than=20)

The binary is the one installed with this package; its target interpreter defaults to the one
running pytest, as with ``python -m fastpath``.

pytest imports every installed plugin at start-up, so this module imports nothing pytest has not
already loaded: without ``--fastpath`` it adds no item and costs nothing. What the checks need
(subprocess, json, TOML) is imported when a check runs.
"""

import os
import sys

import pytest

__all__ = ["FastpathBudget", "fastpath_budget"]

_CONFIG_NAMES = ("fastpath.toml", "pyproject.toml")


# -- options and collection ---------------------------------------------------------------


def pytest_addoption(parser):
    group = parser.getgroup("fastpath", "fastpath: the cold path of the project's entries")
    group.addoption(
        "--fastpath",
        action="store_true",
        default=False,
        help="add one item per fastpath entry that runs `fastpath check --static`",
    )
    group.addoption(
        "--fastpath-measure",
        action="store_true",
        default=False,
        help="with --fastpath (implied): run the measured rules too (imports each entry in "
        "fresh interpreters)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "fastpath: an item added by `pytest --fastpath`")


def _enabled(config):
    return config.getoption("fastpath") or config.getoption("fastpath_measure")


def pytest_collect_file(file_path, parent):
    if file_path.name not in _CONFIG_NAMES or not _enabled(parent.config):
        return None
    project = _Project.at(str(file_path))
    if project is None:
        return None
    return FastpathProject.from_parent(parent, path=file_path, project=project)


@pytest.hookimpl(tryfirst=True)  # before `-k` / `-m` deselect items
def pytest_collection_modifyitems(session, config, items):
    if not _enabled(config):
        return
    if any(isinstance(item, FastpathItem) for item in items):
        return
    # No project among the collected files (pytest collected `tests/` only, say): the project
    # around the directory pytest was started in, as `fastpath check` would find it.
    start = str(config.invocation_params.dir)
    project = _Project.find(start)
    if project is None:
        items.append(
            _MissingProject.from_parent(session, name="fastpath-check", start=start)
        )
        return
    collector = FastpathProject.from_parent(
        session, path=_pathlib().Path(project.config_file), project=project
    )
    items.extend(collector.collect())


class FastpathProject(pytest.File):
    """A fastpath configuration file: one item per entry."""

    def __init__(self, *, project, **kwargs):
        super().__init__(**kwargs)
        self.project = project

    def collect(self):
        entries = self.project.entries()
        if not entries:
            # No TOML reader on this interpreter (Python < 3.11 without tomli): one item for
            # every entry at once. No entry at all: one item, which fails with fastpath's
            # own message naming the file to fix.
            yield FastpathItem.from_parent(self, name="fastpath-check", entry=None)
            return
        for entry in entries:
            yield FastpathItem.from_parent(
                self, name="fastpath-check[%s]" % entry, entry=entry
            )


class FastpathFindings(Exception):
    """The check found problems; the message is their concise rendering."""


class FastpathError(Exception):
    """fastpath could not run the check (exit status 2, or no binary)."""


class FastpathItem(pytest.Item):
    """``fastpath check`` for one entry."""

    def __init__(self, *, entry, **kwargs):
        super().__init__(**kwargs)
        self.entry = entry
        self.add_marker("fastpath")

    def runtest(self):
        project = self.parent.project
        measure = bool(self.config.getoption("fastpath_measure"))
        cache = self.config.stash.setdefault(_CHECKS, {})
        key = (project.root, measure)
        if key not in cache:
            try:
                cache[key] = project.check(measure)
            except FastpathError as error:
                cache[key] = error
        result = cache[key]
        if isinstance(result, FastpathError):
            raise result
        findings = result.findings_for(self.entry)
        if findings:
            raise FastpathFindings(_render_concise(findings))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (FastpathFindings, FastpathError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        what = "every entry" if self.entry is None else "`%s`" % self.entry
        mode = "measured" if self.config.getoption("fastpath_measure") else "static"
        return self.path, None, "fastpath check (%s) of %s" % (mode, what)


class _MissingProject(pytest.Item):
    """``--fastpath`` with no project to check: a failure, never a silent pass."""

    def __init__(self, *, start, **kwargs):
        super().__init__(**kwargs)
        self.start = start

    def runtest(self):
        raise FastpathError(
            "no fastpath project: no fastpath.toml, and no pyproject.toml with [tool.fastpath], "
            "in %s or above it, nor among the collected files" % self.start
        )

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, None, "fastpath check"


_CHECKS = pytest.StashKey()


def _render_concise(findings):
    """``fastpath check --output-format concise`` for these findings (``fastpath.check/1``)."""
    lines = []
    counts = {}
    for d in findings:
        if d.get("file") is not None:
            lines.append(
                "%s:%s:%s: %s %s" % (d["file"], d["line"], d["column"], d["code"], d["message"])
            )
        else:
            lines.append("%s %s" % (d["code"], d["message"]))
        counts[d["code"]] = counts.get(d["code"], 0) + 1
    noun = "problem" if len(findings) == 1 else "problems"
    by_code = ", ".join("%d %s" % (counts[code], code) for code in sorted(counts))
    lines.append("Found %d %s (%s)." % (len(findings), noun, by_code))
    return "\n".join(lines)


# -- the project and the binary -----------------------------------------------------------


class _Project:
    """A fastpath project: its configuration file, root and ``[tool.fastpath]`` table."""

    def __init__(self, config_file, table):
        self.config_file = config_file
        self.root = os.path.dirname(config_file)
        # None: the file could not be read here (no TOML reader); fastpath itself will read it.
        self.table = table

    @classmethod
    def at(cls, config_file):
        """The project configured by this file, or None when it does not configure fastpath."""
        name = os.path.basename(config_file)
        if name == "pyproject.toml":
            sibling = os.path.join(os.path.dirname(config_file), "fastpath.toml")
            if os.path.isfile(sibling):
                return None  # fastpath.toml wins in the same directory; it is collected itself
        table = _read_table(config_file)
        if table is False:
            return None
        return cls(config_file, table)

    @classmethod
    def find(cls, start):
        """The nearest project at or above ``start``, as ``fastpath check`` finds it."""
        directory = os.path.abspath(start)
        while True:
            for name in _CONFIG_NAMES:
                path = os.path.join(directory, name)
                if os.path.isfile(path):
                    project = cls.at(path)
                    if project is not None:
                        return project
            parent = os.path.dirname(directory)
            if parent == directory:
                return None
            directory = parent

    def entries(self):
        """The configured entries; None when the table could not be read on this interpreter."""
        if self.table is None:
            return None
        entry = self.table.get("entry")
        if entry is None:
            return []
        return [entry] if isinstance(entry, str) else [str(e) for e in entry]

    def check(self, measure):
        """Runs ``fastpath check --output-format json`` on the whole project once."""
        import json

        args = ["check", self.root, "--output-format", "json"]
        if not measure:
            args.append("--static")
        completed = run_fastpath(args, cwd=self.root)
        if completed.returncode not in (0, 1):
            raise FastpathError(_failure("fastpath check", completed))
        try:
            report = json.loads(completed.stdout)
        except ValueError as error:
            raise FastpathError("fastpath check printed no fastpath.check/1 JSON: %s" % error)
        return _CheckResult(self, report["diagnostics"])

    def entry_file(self, entry):
        """The file of ``entry``'s module, relative to the root (``fastpath graph``)."""
        import json

        completed = run_fastpath(["graph", entry, "--format", "json"], cwd=self.root)
        if completed.returncode != 0:
            raise FastpathError(_failure("fastpath graph %s" % entry, completed))
        modules = json.loads(completed.stdout)["modules"]
        path = modules[0].get("path") if modules else None
        return os.path.normpath(path) if path else None


class _CheckResult:
    """One ``fastpath check`` of a project, shared by its entries' items."""

    def __init__(self, project, diagnostics):
        self.project = project
        self.diagnostics = diagnostics
        self._entry_files = None

    def findings_for(self, entry):
        """The findings that belong to ``entry``: those whose import chain starts at its file
        (or that sit in it), and those that belong to no entry (the shared manifest's)."""
        entries = self.project.entries() or []
        if entry is None or len(entries) <= 1:
            return self.diagnostics
        if self._entry_files is None:
            self._entry_files = {e: self.project.entry_file(e) for e in entries}
        files = set(self._entry_files.values())
        mine = self._entry_files[entry]
        found = []
        for d in self.diagnostics:
            chain = d.get("chain") or []
            start = chain[0]["file"] if chain else d.get("file")
            start = os.path.normpath(start) if start else None
            if start == mine or start not in files:
                found.append(d)
        return found


def run_fastpath(args, cwd):
    """Runs the installed binary; its target interpreter defaults to this one."""
    import subprocess

    from fastpath import find_fastpath_bin

    try:
        binary = find_fastpath_bin()
    except FileNotFoundError as error:
        raise FastpathError(str(error))
    env = dict(os.environ)
    if "FASTPATH_PYTHON" not in env and sys.executable:
        env["FASTPATH_PYTHON"] = sys.executable
    return subprocess.run(
        [binary] + list(args),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )


def _failure(what, completed):
    return "%s failed (exit status %d):\n%s" % (
        what,
        completed.returncode,
        (completed.stderr or completed.stdout).rstrip(),
    )


def _read_table(config_file):
    """The fastpath table of a configuration file: a dict; None when this interpreter has no
    TOML reader; False when the file does not configure fastpath."""
    try:
        import tomllib  # Python 3.11+
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            tomllib = None
    is_pyproject = os.path.basename(config_file) == "pyproject.toml"
    if tomllib is None:
        if not is_pyproject:
            return None
        with open(config_file, encoding="utf-8") as f:
            text = f.read()
        return None if "[tool.fastpath]" in text else False
    with open(config_file, "rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError:
            # fastpath reports the broken file itself, naming it; let the item fail with that.
            return None
    if not is_pyproject:
        return data
    table = data.get("tool", {}).get("fastpath")
    return table if isinstance(table, dict) else False


def _pathlib():
    import pathlib

    return pathlib


# -- the fixture --------------------------------------------------------------------------


class FastpathBudget:
    """The seed's two budget assertions, for the project around the requesting test."""

    def __init__(self, root):
        #: The project root: where fastpath runs, and where the entry modules are found.
        self.root = root

    def import_time(self, module, under_ms, runs=None):
        """Asserts that importing ``module`` takes under ``under_ms`` ms: the median over fresh
        interpreters (``fastpath profile``; ``runs`` fixes their number, else adaptive).
        Returns the median in ms."""
        import json

        if not under_ms > 0:
            raise ValueError("under_ms must be a positive number of milliseconds")
        args = ["profile", module, "--format", "json"]
        if runs is not None:
            args += ["--runs", str(int(runs))]
        completed = run_fastpath(args, cwd=self.root)
        if completed.returncode != 0:
            raise FastpathError(_failure("fastpath profile %s" % module, completed))
        profile = json.loads(completed.stdout)
        total = profile["total_us"]
        median_ms = total["median"] / 1000.0
        if median_ms >= under_ms:
            top = sorted(
                profile.get("modules", []),
                key=lambda m: -m.get("self_us", {}).get("median", 0),
            )[:5]
            lines = [
                "import %s too slow: %.1f ms (median of %d fresh interpreters, %.1f to %.1f ms)"
                % (module, median_ms, profile["runs"], total["min"] / 1000, total["max"] / 1000),
                "Target: <%g ms" % under_ms,
                "Costliest modules (self time): "
                + ", ".join(
                    "%s %.1f ms" % (m["name"], m["self_us"]["median"] / 1000) for m in top
                ),
                "Run `fastpath profile %s` for the savings of each import statement" % module,
            ]
            pytest.fail("\n".join(lines), pytrace=False)
        return median_ms

    def manifest_imports(self, fewer_than, manifest=None):
        """Asserts that the manifest (``manifest`` in the configuration, else ``fast_path.py``)
        imports fewer than ``fewer_than`` names, counted as fastpath's FP006 counts them: every
        name of every module-level import statement. Returns the count."""
        import ast

        path = os.path.join(self.root, manifest or self._manifest_setting())
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), filename=path)
        names = [
            alias.name
            for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        ]
        if len(names) >= fewer_than:
            pytest.fail(
                "Too many imports in %s: %d\nTarget: <%d imports\n"
                "Move rarely-used imports to function level"
                % (os.path.relpath(path, self.root), len(names), fewer_than),
                pytrace=False,
            )
        return len(names)

    def _manifest_setting(self):
        project = _Project.find(self.root)
        table = project.table if project is not None else None
        if isinstance(table, dict) and isinstance(table.get("manifest"), str):
            return table["manifest"]
        return "fast_path.py"


@pytest.fixture
def fastpath_budget(request):
    """The seed's budgets in one line each: ``fastpath_budget.import_time("fast_path",
    under_ms=200)`` and ``fastpath_budget.manifest_imports(fewer_than=20)``."""
    start = os.path.dirname(str(request.path))
    project = _Project.find(start)
    root = project.root if project is not None else str(request.config.rootpath)
    return FastpathBudget(root)
