"""Per-invocation overhead of ``fastpath.runtime.track_usage``, decorated against bare.

Usage: python bench/track_usage_overhead.py [N]   (run it with each interpreter to compare;
3.12+ uses sys.monitoring, older ones sys.setprofile).

Two handlers, each over a project module on the cold path: ``small`` makes 3 Python calls (a
router, a cache lookup), ``busy`` makes about 300 (a loop over a helper). Each is timed bare and
decorated (the log line goes to a stream that discards it, so JSON encoding is counted and
terminal I/O is not), N invocations per sample, best of 15 samples alternating bare and
decorated. Prints the per-invocation times and their difference in microseconds.
"""

import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

from fastpath.runtime import track_usage  # noqa: E402

# A tracked project module, written to disk so that its code has a real file.
_dir = tempfile.mkdtemp()
with open(os.path.join(_dir, "bench_cache.py"), "w") as f:
    f.write(
        "_S = {'k': 1}\n"
        "def get(key):\n    return _S.get(key)\n"
        "def route(event):\n    return get(event['key'])\n"
        "def busy(event):\n    total = 0\n"
        "    for i in range(300):\n        total += (get('k') or 0)\n    return total\n"
    )
sys.path.insert(0, _dir)
import bench_cache  # noqa: E402


class Null:
    def write(self, s):
        pass

    def flush(self):
        pass


def small(event, context):
    return bench_cache.route(event)


def busy(event, context):
    return bench_cache.busy(event)


def per_call(fn, n):
    event = {"key": "k"}
    start = time.perf_counter()
    for _ in range(n):
        fn(event, None)
    return (time.perf_counter() - start) / n * 1e6


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(
        "Python %d.%d.%d, %s"
        % (sys.version_info[:3] + ("sys.monitoring" if hasattr(sys, "monitoring") else "sys.setprofile",))
    )
    for name, fn in (("small", small), ("busy", busy)):
        tracked = track_usage(fn, modules=["bench_cache"], stream=Null())
        tracked({"key": "k"}, None)  # the first call sets tracking up
        bare, deco = [], []
        for _ in range(15):
            bare.append(per_call(fn, n))
            deco.append(per_call(tracked, n))
        b, d = min(bare), min(deco)
        print("%-6s bare %8.2f us  tracked %8.2f us  overhead %8.2f us per invocation" % (name, b, d, d - b))


main()
