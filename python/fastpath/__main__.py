"""``python -m fastpath``: runs the installed ``fastpath`` binary.

The target interpreter defaults to the one running this module, so a virtualenv's
``python -m fastpath check`` checks that environment without configuration. It is passed as
``FASTPATH_PYTHON`` (fastpath's environment setting) unless the user set it already; ``--python``
still overrides it. The process is replaced (``os.execv``): no interpreter waits in between, and
signals and the exit status are the binary's own. Windows has no such replacement, so there the
binary runs as a child and its exit status is passed on.
"""

import os
import sys

from fastpath import find_fastpath_bin


def main():
    try:
        binary = find_fastpath_bin()
    except FileNotFoundError as error:
        sys.stderr.write("fastpath failed\n  Cause: %s\n" % error)
        return 2
    if "FASTPATH_PYTHON" not in os.environ and sys.executable:
        os.environ["FASTPATH_PYTHON"] = sys.executable
    argv = [binary] + sys.argv[1:]
    if sys.platform == "win32":
        import subprocess

        return subprocess.call(argv)
    os.execv(binary, argv)
    return 2  # not reached: execv replaces the process or raises


if __name__ == "__main__":
    sys.exit(main())
