"""`pytest --fastpath`, `--fastpath-measure` and the `fastpath_budget` fixture, run by pytester
on copies of the repository's example projects with the installed binary."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# The examples' manifests were profiled on 2025-11-08 (the seed) and 2026-11-27 (the clean one):
# a fixed "today" keeps the stale-profile rule (FP007) from changing the expected findings.
TODAY = "2026-12-01"


@pytest.fixture
def project(pytester, monkeypatch):
    """Copies an example into pytester's directory; returns that directory."""
    monkeypatch.setenv("FASTPATH_TODAY", TODAY)
    monkeypatch.delenv("FASTPATH_PYTHON", raising=False)

    def copy(name):
        shutil.copytree(EXAMPLES / name, pytester.path, dirs_exist_ok=True)
        return pytester.path

    return copy


def test_failing_project_fails_with_the_concise_findings(pytester, project):
    project("lambda-seed")
    result = pytester.runpytest("--fastpath")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*fastpath check (static) of `lambda_function`*",
            "fast_path.py:8:16: FP007 `Last profiled: 2025-11-08` is 388 days old; "
            "the review interval is 30 days",
            "interface_cache.py:3:1: FP003 `urllib.request` is banned from the cold path "
            "(banned: `urllib.request`)",
            "Found 4 problems (1 FP003, 3 FP007).",
            "FAILED pyproject.toml::fastpath-check[[]lambda_function[]]*",
        ]
    )


def test_clean_project_passes(pytester, project):
    project("lambda-clean")
    result = pytester.runpytest("--fastpath", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["pyproject.toml::fastpath-check[[]lambda_function[]] PASSED*"])


def test_measured_check_runs_the_measured_rules(pytester, project):
    # The seed documents 35 ms for cache_core, which imports in well under a millisecond: the
    # measured rule FP105 appears only when the entry is imported.
    project("lambda-seed")
    static = pytester.runpytest("--fastpath")
    assert "FP105" not in static.stdout.str()
    measured = pytester.runpytest("--fastpath-measure")
    measured.assert_outcomes(failed=1)
    measured.stdout.fnmatch_lines(
        ["*fastpath check (measured) of `lambda_function`*", "fast_path.py:21:25: FP105 *"]
    )


def test_one_item_per_entry_with_its_own_findings(pytester, project):
    root = project("lambda-clean")
    (root / "admin.py").write_text(
        "from fast_path import *\nimport urllib.request\n\n\n"
        "def handler(event, context):\n    return urllib.request.urlopen\n"
    )
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'entry = "lambda_function"', 'entry = ["lambda_function", "admin"]'
        )
    )
    result = pytester.runpytest("--fastpath", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "pyproject.toml::fastpath-check[[]lambda_function[]] PASSED*",
            "pyproject.toml::fastpath-check[[]admin[]] FAILED*",
            "admin.py:2:1: FP001 `admin` imports `urllib.request` at module level, "
            "outside the manifest `fast_path`",
            "admin.py:2:1: FP003 `urllib.request` is banned from the cold path*",
            "Found 2 problems (1 FP001, 1 FP003).",
        ]
    )


def test_project_around_the_start_directory_when_only_tests_are_collected(pytester, project):
    root = project("lambda-seed")
    with open(root / "pyproject.toml", "a") as f:
        f.write('\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    pytester.mkpydir("tests")
    (root / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    result = pytester.runpytest("--fastpath", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*fastpath-check[[]lambda_function[]] FAILED*"])


def test_no_project_is_a_failure_not_a_silent_pass(pytester, monkeypatch):
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    result = pytester.runpytest("--fastpath")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*no fastpath project*"])


def test_a_project_without_entry_fails_with_fastpaths_message(pytester):
    pytester.makefile(".toml", fastpath="banned = []\n")
    result = pytester.runpytest("--fastpath")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*fastpath check failed (exit status 2)*", "*no entry to check*"])


def test_without_the_flag_the_plugin_adds_nothing(pytester, project):
    project("lambda-seed")
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    result = pytester.runpytest("--collect-only", "-q")
    assert "fastpath" not in result.stdout.str()
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_loading_the_plugin_imports_nothing_pytest_has_not():
    # pytest imports every installed plugin at start-up: ours must not make that slower.
    code = (
        "import sys, pytest\n"
        "before = set(sys.modules)\n"
        "import fastpath.pytest_plugin\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    added = subprocess.run(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, check=True, text=True
    ).stdout.split()
    assert added == ["fastpath", "fastpath.pytest_plugin"]


def test_fastpath_budget_passes_within_budget(pytester, project):
    project("lambda-clean")
    pytester.makepyfile(
        test_budget="""
        def test_fast_path(fastpath_budget):
            # Generous on purpose: this test is about the plumbing, not this machine's speed.
            fastpath_budget.import_time("fast_path", under_ms=60_000, runs=3)
            fastpath_budget.manifest_imports(fewer_than=20)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_fastpath_budget_fails_over_budget(pytester, project):
    project("lambda-clean")
    pytester.makepyfile(
        test_budget="""
        def test_import_time(fastpath_budget):
            fastpath_budget.import_time("fast_path", under_ms=0.001, runs=3)

        def test_size(fastpath_budget):
            fastpath_budget.manifest_imports(fewer_than=5)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*import fast_path too slow: * ms (median of 3 fresh interpreters, * to * ms)",
            "*Target: <0.001 ms",
            "*Costliest modules (self time): *",
            "*Too many imports in fast_path.py: 5",
            "*Target: <5 imports",
        ]
    )


def test_fastpath_budget_measures_in_the_running_interpreter(pytester, project):
    # The fixture's interpreter is pytest's: the profile names it.
    project("lambda-clean")
    pytester.makepyfile(
        test_budget="""
        import json, sys
        from fastpath.pytest_plugin import run_fastpath

        def test_interpreter(fastpath_budget):
            out = run_fastpath(["profile", "fast_path", "--runs", "1", "--format", "json"],
                               cwd=fastpath_budget.root)
            assert json.loads(out.stdout)["interpreter"]["requested"] == sys.executable
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_python_m_fastpath_runs_the_binary():
    completed = subprocess.run(
        [sys.executable, "-m", "fastpath", "--version"],
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    )
    assert completed.stdout.startswith("fastpath ")
    env = dict(os.environ)
    env.pop("FASTPATH_PYTHON", None)
    shown = subprocess.run(
        [sys.executable, "-m", "fastpath", "check", "--show-settings"],
        cwd=EXAMPLES / "lambda-seed",
        env=env,
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    ).stdout
    assert "python: %s  (environment)" % sys.executable in shown.splitlines()
