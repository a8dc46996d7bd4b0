"""fastpath usage replay: import the entry once, call its handler with each event, and record
which tracked modules had code run and which deferred modules got imported, per event.

Run by fastpath as `python usage_bootstrap.py CONFIG.json`. CONFIG names the entry module, the
handler, the event files (already sorted), the modules to track and the result file. Events are
read before tracking starts and the result is written after it stops, so this script's own use
of `json` never counts as a use of the project's `json`.

Tracking uses `sys.monitoring` (PEP 669) on 3.12+: a PY_START callback records the code
object's file and returns DISABLE, so each function costs one callback per event;
`restart_events()` re-arms them between events. Before 3.12 it uses `sys.setprofile` (and
`threading.setprofile` for threads the handler starts), which sees every call.
"""

import sys


def _main(config_path):
    import json
    import os

    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    # The project's roots replace this script's directory at the front of the path.
    sys.path[0:1] = config["sys_path"]
    result = {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "monitor": "sys.monitoring" if hasattr(sys, "monitoring") else "sys.setprofile",
        "events": [],
    }

    def write():
        tmp = config["result"] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(result, f)
        os.replace(tmp, config["result"])

    events = []
    for path in config["events"]:
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                events.append((name, json.load(f), None))
        except Exception as e:  # a bad file is one failed event, not a failed run
            events.append((name, None, "invalid event file: %s" % _last_line(e)))

    try:
        module = __import__(config["entry"], fromlist=["_"])
        handler = module
        for part in config["handler"].split("."):
            handler = getattr(handler, part)
    except BaseException as e:
        result["fatal"] = "importing %s and finding %s failed: %s" % (
            config["entry"],
            config["handler"],
            _last_line(e),
        )
        write()
        return 1
    if not callable(handler):
        result["fatal"] = "%s.%s is not callable" % (config["entry"], config["handler"])
        write()
        return 1

    takes_context = _takes_context(handler)
    tracked = sorted(set(config["tracked"]) | set(config["deferred"]), key=len, reverse=True)
    deferred = config["deferred"]
    context = _LambdaContext(config["handler"])
    files = {}  # code file -> tracked name (or None), refreshed as modules get imported

    def owner(filename):
        if filename not in files:
            _refresh(files, tracked)
        return files.get(filename)

    seen = set()
    start, stop, rearm = _tracker(seen)
    for name, event, error in events:
        record = {"file": name, "ok": error is None, "error": error, "used": [], "imported": []}
        result["events"].append(record)
        if error is not None:
            continue
        before = set(sys.modules)
        seen.clear()
        rearm()
        start()
        try:
            if takes_context:
                handler(event, context)
            else:
                handler(event)
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            record["ok"] = False
            record["error"] = _last_line(e)
        finally:
            stop()
        used = set()
        for filename in seen:
            name_ = owner(filename)
            if name_ is not None:
                used.add(name_)
        record["used"] = sorted(used)
        record["imported"] = sorted(
            d for d in deferred if d in sys.modules and d not in before
        )
    write()
    return 0


def _refresh(files, tracked):
    """Maps every loaded module's file to the longest tracked name that is it or its package."""
    for mod_name, module in list(sys.modules.items()):
        owner = None
        for t in tracked:
            if mod_name == t or mod_name.startswith(t + "."):
                owner = t
                break
        path = getattr(module, "__file__", None)
        if path:
            files.setdefault(path, owner)
        # Frozen standard-library modules (3.11+) run code named `<frozen NAME>`.
        files.setdefault("<frozen %s>" % mod_name, owner)


def _tracker(seen):
    if hasattr(sys, "monitoring"):
        mon = sys.monitoring
        tool = None
        for candidate in (mon.PROFILER_ID, 3, 4, 5):
            if mon.get_tool(candidate) is None:
                tool = candidate
                break
        if tool is None:
            raise RuntimeError("every sys.monitoring tool id is taken")
        mon.use_tool_id(tool, "fastpath-usage")
        disable = mon.DISABLE

        def on_start(code, offset):
            seen.add(code.co_filename)
            return disable

        mon.register_callback(tool, mon.events.PY_START, on_start)

        def start():
            mon.set_events(tool, mon.events.PY_START)

        def stop():
            mon.set_events(tool, 0)

        return start, stop, mon.restart_events

    import threading

    def profile(frame, event, arg):
        if event == "call":
            seen.add(frame.f_code.co_filename)

    def start():
        threading.setprofile(profile)
        sys.setprofile(profile)

    def stop():
        sys.setprofile(None)
        threading.setprofile(None)

    return start, stop, lambda: None


def _takes_context(handler):
    """A Lambda handler takes (event, context); a plain function takes the event only."""
    code = getattr(handler, "__code__", None)
    if code is None:
        code = getattr(getattr(handler, "__call__", None), "__code__", None)
        if code is None:
            return True
        positional = code.co_argcount - 1
    else:
        positional = code.co_argcount
    return positional >= 2 or bool(code.co_flags & 0x04)


class _LambdaContext:
    """The attributes and method of the Lambda context object a handler usually reads."""

    def __init__(self, handler):
        self.function_name = handler
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:" + handler
        self.memory_limit_in_mb = 128
        self.aws_request_id = "fastpath-usage"
        self.log_group_name = "/aws/lambda/" + handler
        self.log_stream_name = "fastpath-usage"
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self):
        return 300000


def _last_line(e):
    text = ("%s: %s" % (type(e).__name__, e)).strip()
    return text.splitlines()[-1] if text else type(e).__name__


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
