"""Usage evidence from production: ``track_usage`` decorates a handler and logs, per invocation,
which cold-path modules had code run. ``fastpath usage --logs FILE`` aggregates the lines.

    from fastpath.runtime import track_usage

    @track_usage
    def lambda_handler(event, context):
        ...

Each tracked invocation prints one JSON line to stdout (CloudWatch keeps it), or to the file named
by ``FASTPATH_USAGE_LOG``, or to ``stream=``::

    {"fastpath_usage": 1, "handler": "lambda_function.lambda_handler", "used": ["cache_core",
     "gateway"], "error": null}

The first tracked invocation of a process also carries ``"tracked"``: every module watched, so
that a module never used shows up as 0 %. By default the watched modules are those loaded before
the first call (the cold path) outside the standard library; ``modules=[...]`` names them
instead (a submodule's code counts for the nearest named package). ``every=N`` tracks one
invocation in N.

Cost: importing this module loads nothing (``json`` is imported at the first tracked call). On
3.12+ a ``sys.monitoring`` PY_START callback notes each function's file once per invocation and
disables itself (``restart_events`` re-arms it, which also re-arms events other tools disabled);
before 3.12, ``sys.setprofile`` sees every Python call of the invocation, which costs more on
call-heavy handlers. Measured per-invocation overhead is documented in the README
(``bench/track_usage_overhead.py``).
"""

import sys

__all__ = ["track_usage"]

_MONITORING = hasattr(sys, "monitoring")


def track_usage(func=None, *, modules=None, every=1, stream=None):
    """Decorates a handler so that each tracked invocation logs the cold-path modules it used."""
    if func is None:
        return lambda f: track_usage(f, modules=modules, every=every, stream=stream)
    if not isinstance(every, int) or every < 1:
        raise ValueError("track_usage: every must be a positive integer, got %r" % (every,))
    tracker = _Tracker(func, modules, every, stream)

    def wrapper(*args, **kwargs):
        return tracker(args, kwargs)

    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(wrapper, attr, getattr(func, attr))
        except AttributeError:
            pass
    wrapper.__dict__.update(getattr(func, "__dict__", {}))
    wrapper.__wrapped__ = func
    return wrapper


class _Tracker:
    def __init__(self, func, modules, every, stream):
        self.func = func
        self.names = None if modules is None else sorted(set(modules), key=len, reverse=True)
        self.every = every
        self.stream = stream
        self.calls = 0
        self.active = False
        self.ready = False
        self.files = {}
        self.seen = set()
        self.handler = "%s.%s" % (
            getattr(func, "__module__", "?"),
            getattr(func, "__qualname__", getattr(func, "__name__", "?")),
        )

    def __call__(self, args, kwargs):
        self.calls += 1
        if self.active or (self.calls - 1) % self.every:
            return self.func(*args, **kwargs)
        first = not self.ready
        if first:
            self._setup()
        if self.start is None:
            return self.func(*args, **kwargs)
        self.active = True
        seen = self.seen
        seen.clear()
        error = None
        self.start()
        try:
            return self.func(*args, **kwargs)
        except BaseException as e:
            error = ("%s: %s" % (type(e).__name__, e)).strip().splitlines()
            error = error[-1] if error else type(e).__name__
            raise
        finally:
            self.stop()
            self.active = False
            self._log(seen, error, first)

    def _setup(self):
        self.ready = True
        if self.names is None:
            names = [
                n
                for n, m in list(sys.modules.items())
                if getattr(m, "__file__", None) and not _stdlib(n) and not _ours(n)
            ]
            self.names = sorted(names, key=len, reverse=True)
        self.tracked = sorted(self.names)
        self.start, self.stop = _monitor(self.seen)

    def _owner(self, filename):
        files = self.files
        if filename not in files:
            for mod_name, module in list(sys.modules.items()):
                path = getattr(module, "__file__", None)
                if path and path not in files:
                    owner = None
                    for t in self.names:
                        if mod_name == t or mod_name.startswith(t + "."):
                            owner = t
                            break
                    files[path] = owner
            files.setdefault(filename, None)
        return files[filename]

    def _log(self, seen, error, first):
        try:
            import json

            used = sorted({o for o in map(self._owner, seen) if o is not None})
            record = {"fastpath_usage": 1, "handler": self.handler, "used": used, "error": error}
            if first:
                record["tracked"] = self.tracked
            line = json.dumps(record)
            stream = self.stream
            if stream is None:
                import os

                path = os.environ.get("FASTPATH_USAGE_LOG")
                if path:
                    with open(path, "a", encoding="utf-8") as f:
                        f.write(line + "\n")
                    return
                stream = sys.stdout
            stream.write(line + "\n")
            stream.flush()
        except Exception:  # evidence must never break the handler
            pass


def _stdlib(name):
    top = name.partition(".")[0]
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return top in names or top in sys.builtin_module_names
    import os

    path = getattr(sys.modules.get(name), "__file__", "") or ""
    lib = os.path.dirname(os.__file__)
    return path.startswith(lib) and "-packages" not in path


def _ours(name):
    return name == "__main__" or name == "fastpath" or name.startswith("fastpath.")


def _monitor(seen):
    """(start, stop) functions that collect the files of code that starts running into seen."""
    if _MONITORING:
        mon = sys.monitoring
        tool = None
        for candidate in (4, 3, mon.PROFILER_ID):
            if mon.get_tool(candidate) is None:
                tool = candidate
                break
        if tool is None:  # every id taken by other tools: track nothing rather than fight
            return None, None
        mon.use_tool_id(tool, "fastpath.runtime.track_usage")
        disable = mon.DISABLE
        add = seen.add

        def on_start(code, offset):
            add(code.co_filename)
            return disable

        mon.register_callback(tool, mon.events.PY_START, on_start)
        set_events = mon.set_events
        restart = mon.restart_events
        py_start = mon.events.PY_START

        def start():
            restart()
            set_events(tool, py_start)

        def stop():
            set_events(tool, 0)

        return start, stop

    add = seen.add

    def profile(frame, event, arg):
        if event == "call":
            add(frame.f_code.co_filename)

    previous = []

    def start():
        # Another profiler (a debugger, a tracer) keeps its hook outside tracked invocations.
        previous.append(sys.getprofile())
        sys.setprofile(profile)

    def stop():
        sys.setprofile(previous.pop() if previous else None)

    return start, stop
