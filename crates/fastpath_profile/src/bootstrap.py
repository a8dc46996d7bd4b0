# fastpath profile bootstrap: run as
# `python -X importtime -c <this + "import ENTRY\n_fastpath_call()\n_fastpath_end()\n">
# RESULT ROOT ENTRY NONCE [who] [call FUNCTION NAME ARG...]` (the runner appends the entry's
# import statement). With `call`, FUNCTION of the entry module is called after the import, with
# `sys.argv = [NAME, ARG...]` and a clean `SystemExit` caught, as a console script runs it.
# Kept free of f-strings and of any import before the entry's but `sys` (and the built-in `atexit`),
# so that it runs (and reports its version) on old interpreters and adds no rows to the measured
# import tree.
#
# The entry is imported by a plain `import ENTRY` statement at module level, and every other
# module-level statement needs at most two stack slots, so that the frame the import runs from is
# exactly the size of the one in `python -X importtime -c "import ENTRY"`. CPython 3.11+ keeps
# frames in 16 KiB data-stack chunks that are mapped on the first call past a chunk's end and
# unmapped on the return: a recursion that oscillates across a chunk boundary pays an
# mmap/munmap pair and fresh page faults on every call. Importing from a deeper frame (as a
# `main()` function did) moved awscli's boundary into the regular-expression parser that
# `urllib3.util.url` runs at import, and made its self time 7x too dear. With the same frame
# layout as plain `-X importtime`, the measurement meets the boundaries the reference meets.
import sys


_fastpath = {}


def _fastpath_begin():
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

    argv = sys.argv
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
    # An exception out of the import reaches the hook; `sys.exit` from it reaches the exit
    # handler (SystemExit is no case for the hook), and the runner reads the exit code.
    sys.excepthook = _fastpath_raised
    import atexit

    atexit.register(_fastpath_exited)
    _fastpath.update(
        result_path=result_path,
        entry=entry,
        call=call,
        nonce=nonce,
        who=who,
        real_err=real_err,
        before=set(sys.modules),
    )
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
    _fastpath["out"] = out


def _fastpath_call():
    # The command's own cold start: its function called after the import, as a console script
    # calls it. A clean `SystemExit` (`--version` exits 0) ends the call; any other reaches the
    # exit handler, and an exception the hook, as from the import.
    call = _fastpath["call"]
    if call is None:
        return
    function = sys.modules[_fastpath["entry"]]
    for part in call[0].split("."):
        function = getattr(function, part)
    sys.argv = list(call[1])
    try:
        function()
    except SystemExit as e:
        if e.code is not None and e.code != 0:
            raise


def _fastpath_raised(kind, value, tb):
    _fastpath_end("raised", (kind, value, tb))


def _fastpath_exited():
    # Runs at interpreter exit: only after `sys.exit` (or SystemExit) ended the import, since
    # every other ending leaves through os._exit. The exit code tells 0 from failure.
    if not _fastpath.get("done"):
        _fastpath_end("exit")


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


def _fastpath_end(status="ok", exc_info=None):
    _fastpath["done"] = True
    modules = list(sys.modules)
    state = _fastpath
    real_err, out, who = state["real_err"], state["out"], state["who"]
    real_err.write("fastpath-mark end " + state["nonce"] + "\n")
    real_err.flush()
    trace = ""
    if exc_info is not None:
        import traceback

        # Without this bootstrap's own frames: the program's frames are what the user can act on.
        tb = exc_info[2]
        while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename == "<string>":
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
    before = state["before"]
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
    with open(state["result_path"], "wb") as f:
        for key, value in fields:
            data = value.encode("utf-8", "surrogateescape")
            f.write((key + " " + str(len(data)) + "\n").encode("ascii"))
            f.write(data)
            f.write(b"\n")
    if status == "exit":
        # Inside the exit handler: the interpreter exits with the entry's own code.
        return
    # Skip interpreter shutdown: non-daemon threads started by the entry must not keep the
    # process alive, and shutdown is not part of a cold start.
    import os

    os._exit(3 if status == "raised" else 0)


_fastpath_begin()
