"""fastpath keeps the cold start of Python programs fast (the ``fastpath-cli`` distribution).

The work is done by the ``fastpath`` binary installed beside this package; this package finds it
(``find_fastpath_bin``), runs it as ``python -m fastpath`` with ``--python`` defaulting to the
interpreter that ran it, and carries the pytest plugin (``pytest --fastpath``, fixture
``fastpath_budget``). It imports nothing beyond ``os`` and ``sys``, which every interpreter has
already loaded, so ``python -m fastpath`` costs the interpreter's start-up and little more.
"""

import os
import sys

__all__ = ["find_fastpath_bin"]

_EXE = "fastpath.exe" if sys.platform == "win32" else "fastpath"
_SCRIPTS = "Scripts" if os.name == "nt" else "bin"


def find_fastpath_bin():
    """Returns the path of the ``fastpath`` binary installed with this package.

    Looks where pip, pipx and uv put a wheel's scripts: this interpreter's prefix (a virtualenv),
    the install scheme's scripts directory, the user scheme's, and ``DIR/bin`` beside the package
    for ``pip install --target DIR``. Raises ``FileNotFoundError`` naming the places looked at.
    """
    candidates = [os.path.join(sys.prefix, _SCRIPTS, _EXE)]
    if os.path.isfile(candidates[0]):
        return candidates[0]
    # Only now pay for sysconfig (a few ms of start-up): installs outside a virtualenv, where the
    # scripts directory is not under sys.prefix (Debian's /usr/local/bin) or is the user's.
    import sysconfig

    for scheme in (None, _user_scheme(sysconfig)):
        try:
            scripts = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        except KeyError:
            continue
        if scripts:
            candidates.append(os.path.join(scripts, _EXE))
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates.append(os.path.join(package_root, _SCRIPTS, _EXE))
    for candidate in candidates[1:]:
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        "the fastpath binary is not installed beside the fastpath package; looked at: "
        + ", ".join(dict.fromkeys(candidates))
    )


def _user_scheme(sysconfig):
    """The install scheme of ``pip install --user`` on this interpreter."""
    if hasattr(sysconfig, "get_preferred_scheme"):  # Python 3.10+
        return sysconfig.get_preferred_scheme("user")
    if os.name == "nt":
        return "nt_user"
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        return "osx_framework_user"
    return "posix_user"
