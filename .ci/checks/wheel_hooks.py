"""Part of .ci/checks/50-wheel.sh: the pre-commit hooks' command lines and the GitHub Action's
steps, run with the wheel installed in a fresh virtualenv.

pre-commit itself is not run here: `pre-commit try-repo` installs a `language: python` hook by
pip-installing this repository, which downloads maturin from PyPI and compiles the binary in
release mode (minutes on two cores). What pre-commit would run is the hook's `entry` in the
repository's root, without file names (`pass_filenames: false`): that is run here, in scratch git
repositories, with the wheel's `fastpath` on PATH as the hook's environment would have it.

The action is a composite of bash steps whose inputs arrive through `env:`; each step's script
runs here as the runner would run it (`bash -e`, GITHUB_ENV, GITHUB_OUTPUT, RUNNER_TEMP), with
`package` set to the wheel file, and its `if:` conditions evaluated for the inputs given.

Usage: wheel_hooks.py REPO VENV WHEEL WORKDIR
"""

import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

REPO, VENV, WHEEL, WORK = sys.argv[1:5]
TODAY = "2026-12-01"  # the clean example's manifest was profiled on 2026-11-27


def fail(message):
    sys.exit("FAIL: " + message)


def scratch_repo(example, name):
    path = os.path.join(WORK, name)
    shutil.copytree(os.path.join(REPO, "examples", example), path)
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    subprocess.run(git + ["init", "-q", path], check=True)
    subprocess.run(git + ["-C", path, "add", "-A"], check=True)
    subprocess.run(git + ["-C", path, "commit", "-qm", "example"], check=True)
    return path


def hook_env():
    env = dict(os.environ)
    env["PATH"] = os.path.join(VENV, "bin") + os.pathsep + env["PATH"]
    env["FASTPATH_TODAY"] = TODAY
    for name in ("VIRTUAL_ENV", "FASTPATH_PYTHON"):
        env.pop(name, None)
    return env


def check_hooks():
    with open(os.path.join(REPO, ".pre-commit-hooks.yaml")) as f:
        hooks = yaml.safe_load(f)
    ids = [hook["id"] for hook in hooks]
    if "fastpath-check" not in ids:
        fail("no fastpath-check hook: %s" % ids)
    seed = scratch_repo("lambda-seed", "hook-seed")
    clean = scratch_repo("lambda-clean", "hook-clean")
    # An entry that would leave a mark if its code ran: the hook must stay static.
    untrusted = scratch_repo("lambda-clean", "hook-untrusted")
    with open(os.path.join(untrusted, "lambda_function.py"), "a") as f:
        f.write("\nopen('CODE_RAN', 'w').close()\n")
    for hook in hooks:
        if hook.get("pass_filenames", True):
            fail("%s passes file names; fastpath checks the whole project" % hook["id"])
        if "--static" not in shlex.split(hook["entry"]):
            fail("%s is not static: %s" % (hook["id"], hook["entry"]))
        command = shlex.split(hook["entry"])
        seed_run = subprocess.run(
            command, cwd=seed, env=hook_env(), stdout=subprocess.PIPE, text=True
        )
        if seed_run.returncode != 1 or "FP003" not in seed_run.stdout:
            fail("%s on the seed: exit %d\n%s" % (hook["id"], seed_run.returncode, seed_run.stdout))
        clean_run = subprocess.run(
            command, cwd=clean, env=hook_env(), stdout=subprocess.PIPE, text=True
        )
        if clean_run.returncode != 0 or "No problems found." not in clean_run.stdout:
            fail("%s on the clean example: exit %d" % (hook["id"], clean_run.returncode))
        subprocess.run(command, cwd=untrusted, env=hook_env(), stdout=subprocess.DEVNULL)
        if os.path.exists(os.path.join(untrusted, "CODE_RAN")):
            fail("%s ran project code" % hook["id"])
        print("hook %s: seed exit 1 (FP003), clean exit 0, no project code ran" % hook["id"])
    # The mark does appear when the entry's code runs: the test above could fail.
    subprocess.run([sys.executable, "-c", "import lambda_function"], cwd=untrusted, check=True)
    if not os.path.exists(os.path.join(untrusted, "CODE_RAN")):
        fail("importing the untrusted entry left no mark")


def run_action(inputs, project):
    """Runs action.yml's bash steps; returns (outputs of step `check`, status of the last step)."""
    with open(os.path.join(REPO, "action.yml")) as f:
        action = yaml.safe_load(f)
    values = {
        name: str(spec.get("default", "")) for name, spec in action["inputs"].items()
    }
    values.update(inputs)
    runner = os.path.join(WORK, "runner-" + os.path.basename(project))
    os.makedirs(runner)
    github_env = os.path.join(runner, "env")
    open(github_env, "w").close()
    outputs = {}
    statuses = []

    def expand(text):
        text = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: values[m.group(1)], text)
        return re.sub(
            r"\$\{\{\s*steps\.check\.outputs\.([\w-]+)\s*\}\}",
            lambda m: outputs.get(m.group(1), ""),
            text,
        )

    def condition(text):
        # The expressions this action uses: always(), ==, != and && over inputs, the check
        # step's outputs and quoted strings.
        expression = text.strip().removeprefix("${{").removesuffix("}}")
        expression = re.sub(
            r"\binputs\.([\w-]+)", lambda m: repr(values[m.group(1)]), expression
        )
        expression = re.sub(
            r"\bsteps\.check\.outputs\.([\w-]+)",
            lambda m: repr(outputs.get(m.group(1), "")),
            expression,
        )
        expression = expression.replace("always()", "True").replace("&&", " and ")
        return eval(expression, {})  # noqa: S307: the action's own file

    for step in action["runs"]["steps"]:
        if "if" in step and not condition(step["if"]):
            continue
        if "run" not in step:
            print("  (skipped on this runner: %s, uses %s)" % (step["name"], step["uses"]))
            continue
        env = hook_env()
        env["PATH"] = os.environ["PATH"]  # the action installs fastpath itself
        with open(github_env) as f:
            env.update(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        github_output = os.path.join(runner, "output")
        open(github_output, "w").close()
        env.update(
            {name: expand(str(value)) for name, value in step.get("env", {}).items()},
            RUNNER_TEMP=runner,
            GITHUB_ENV=github_env,
            GITHUB_OUTPUT=github_output,
        )
        completed = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        statuses.append((step["name"], completed.returncode, completed.stdout))
        with open(github_output) as f:
            if step.get("id") == "check":
                outputs.update(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    return outputs, statuses


def check_action():
    seed = scratch_repo("lambda-seed", "action-seed")
    outputs, statuses = run_action({"package": WHEEL, "args": "--static"}, seed)
    if outputs.get("exit-code") != "1":
        fail("action on the seed: exit-code %r\n%s" % (outputs.get("exit-code"), statuses))
    check_out = dict((name, out) for name, _, out in statuses)["fastpath check"]
    if "file=interface_cache.py,line=3,col=1::`urllib.request` is banned" not in check_out:
        fail("no annotation for FP003:\n" + check_out)
    if statuses[-1][:2] != ("Fail on findings", 1):
        fail("the action did not fail on findings: %s" % statuses[-1][:2])
    print("action on the seed: exit-code 1, annotations, the job fails")

    clean = scratch_repo("lambda-clean", "action-clean")
    sarif = os.path.join(WORK, "fastpath.sarif")
    outputs, statuses = run_action(
        {"package": WHEEL, "args": "--static", "sarif": "true", "sarif-file": sarif}, clean
    )
    if outputs.get("exit-code") != "0" or any(status for _, status, _ in statuses):
        fail("action on the clean example: %s %s" % (outputs, statuses))
    if "Fail on findings" in [name for name, _, _ in statuses]:
        fail("the action ran its failing step on a clean project")
    with open(sarif) as f:
        if '"version": "2.1.0"' not in f.read():
            fail("the action's SARIF file is not SARIF 2.1.0")
    print("action on the clean example with sarif: exit-code 0, SARIF 2.1.0 written")


check_hooks()
check_action()
