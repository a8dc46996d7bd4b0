"""Tests of the Python side of the wheel `fastpath-cli`: the pytest plugin and `python -m fastpath`.

They need the wheel installed in the interpreter that runs them (`.ci/checks/50-wheel.sh` does
that): the plugin runs the installed binary, as a user's does.
"""

pytest_plugins = ["pytester"]
