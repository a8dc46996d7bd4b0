# fastpath profile bootstrap: run as
# `python -X importtime -c <this> RESULT ROOT ENTRY NONCE [who] [call FUNCTION NAME ARG...]`.
# With `call`, FUNCTION of the entry module is called after the import, with
# `sys.argv = [NAME, ARG...]` and `SystemExit` caught, as a console script runs it.
# Kept free of f-strings and of any import before the entry's, so that it runs (and reports its
# version) on old interpreters and adds no rows to the measured import tree.
import sys

class _FastpathWho(object):
    # A meta-path finder that finds nothing and notes, for each module name, which module's
    # import was in progress when the name was first asked for: the innermost module body
    # (`<module>` frame) executing. Importing that module is what loads the name, whoever's
    # function made the call (a package's lazy `__getattr__` runs for the module that touched
    # the attribute). `-X importtime` has no row for a module loaded through
    # `importlib.import_module` (that path bypasses the C import timer), so its importer can
    # only be learnt this way. Installed in the discarded warm-up run only.

    def __init__(self):
        self.asked = {}

    def find_spec(self, name, path=None, target=None):
        if name in self.asked:
            return None
        try:
            frame = sys._getframe(1)
            importer = ""
            while frame is not None:
                if frame.f_code.co_name == "<module>":
                    module = frame.f_globals.get("__name__")
                    if module and module != "__main__":
                        importer = module
                    break
                frame = frame.f_back
            self.asked[name] = importer
        except Exception:
            pass
        return None


def _spec_name(module):
    # The module's own name, read without triggering a lazy module's load; None for an alias
    # (a key whose object is registered under another name, or is not a module at all).
    try:
        spec = object.__getattribute__(module, "__dict__").get("__spec__")
        return getattr(spec, "name", None)
    except Exception:
        return None


def _spec_file(module):
    # The file the module was loaded from (its spec's origin, when it has a location), read
    # without triggering a lazy module's load; "" when there is none. Tells where a meta-path
    # hook found a module it loaded under another name (awscli's `botocore`).
    try:
        spec = object.__getattribute__(module, "__dict__").get("__spec__")
        if getattr(spec, "has_location", False) and spec.origin:
            return spec.origin
    except Exception:
        pass
    return ""


def _fastpath_main(argv):
    result_path, root, entry, nonce = argv[1], argv[2], argv[3], argv[4]
    who = None
    rest = argv[5:]
    if rest and rest[0] == "who":
        who = _FastpathWho()
        sys.meta_path.insert(0, who)
        rest = rest[1:]
    call = None
    if len(rest) >= 3 and rest[0] == "call":
        call = (rest[1], rest[2:])
    # The entry sees the argv of a plain `python -c`, not the runner's arguments (a CLI entry
    # may parse argv at import; the nonce stays private).
    del sys.argv[1:]
    real_err = sys.stderr
    # `-c` puts '' (the working directory, which is ROOT) first; replace it so the project wins
    # over site-packages exactly as a handler directory does on Lambda.
    if sys.path and sys.path[0] == "":
        sys.path[0] = root
    else:
        sys.path.insert(0, root)
    before = set(sys.modules)
    # Everything importtime prints after this line on fd 2 belongs to the entry.
    real_err.write("\nfastpath-mark begin " + nonce + "\n")
    real_err.flush()
    # The program's own Python-level output goes to fd 1, which the runner captures apart from
    # the importtime rows on fd 2: even a line that looks like a row cannot reach the parser.
    out = sys.stdout
    try:
        # Line buffering keeps the output of an entry killed for hanging readable.
        out.reconfigure(line_buffering=True)
    except BaseException:
        pass
    sys.stderr = out
    sys.__stderr__ = out
    status = "ok"
    exc_info = None
    try:
        __import__(entry)
        if call is not None:
            function = sys.modules[entry]
            for part in call[0].split("."):
                function = getattr(function, part)
            sys.argv = list(call[1])
            function()
    except SystemExit as e:
        if e.code is None or e.code == 0:
            status = "exit0"
        else:
            status = "raised"
            exc_info = sys.exc_info()
    except BaseException:
        status = "raised"
        exc_info = sys.exc_info()
    modules = list(sys.modules)
    real_err.write("fastpath-mark end " + nonce + "\n")
    real_err.flush()
    trace = ""
    if exc_info is not None:
        import traceback

        # Without this bootstrap's own frame: the program's frames are what the user can act on.
        tb = exc_info[2]
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        trace = "".join(traceback.format_exception(exc_info[0], exc_info[1], tb))
        try:
            out.write(trace)
        except BaseException:
            pass
    try:
        out.flush()
    except BaseException:
        pass
    if who is not None:
        try:
            sys.meta_path.remove(who)
        except ValueError:
            pass
    # Modules the import added, under their own names (aliases left out).
    new = [k for k in modules if k not in before and _spec_name(sys.modules.get(k)) == k]
    files = []
    for k in new:
        origin = _spec_file(sys.modules.get(k))
        if origin and "\n" not in origin:
            files.append(k + " " + origin)
    asked = []
    if who is not None:
        asked = [k + " " + who.asked[k] for k in new if k in who.asked]
    version = ".".join(str(p) for p in sys.version_info[:3])
    fields = [
        ("version", version),
        ("implementation", sys.implementation.name),
        ("executable", sys.executable or ""),
        ("status", status),
        ("modules", "\n".join(modules)),
        ("traceback", trace),
        ("new", "\n".join(new)),
        ("asked", "\n".join(asked)),
        ("files", "\n".join(files)),
    ]
    with open(result_path, "wb") as f:
        for key, value in fields:
            data = value.encode("utf-8", "surrogateescape")
            f.write((key + " " + str(len(data)) + "\n").encode("ascii"))
            f.write(data)
            f.write(b"\n")
    code = 3 if status == "raised" else 0
    # Skip interpreter shutdown: non-daemon threads started by the entry must not keep the
    # process alive, and shutdown is not part of a cold start.
    import os

    os._exit(code)


_fastpath_main(sys.argv)
