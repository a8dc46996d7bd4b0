# Asked once per interpreter by fastpath (cached): what the import system will search and what
# is loaded before any user code runs. Must run on every Python 3 and stay import-light: the
# set of preloaded modules is captured before anything else is imported.
import sys
preloaded = sorted(sys.modules)
import json
import os
import sysconfig

try:
    from importlib.machinery import EXTENSION_SUFFIXES as ext_suffixes
except ImportError:  # Python 2
    import imp
    ext_suffixes = [s for s, _, kind in imp.get_suffixes() if kind == imp.C_EXTENSION]

paths = sysconfig.get_paths()
stdlib_dirs = [d for d in (paths.get("stdlib"), paths.get("platstdlib")) if d]
stdlib_names = getattr(sys, "stdlib_module_names", None)
if stdlib_names is None:
    # Before 3.10: what the standard library directory holds is the standard library.
    stdlib_names = set(sys.builtin_module_names)
    for d in stdlib_dirs + [os.path.join(d, "lib-dynload") for d in stdlib_dirs]:
        try:
            entries = os.listdir(d)
        except OSError:
            continue
        for entry in entries:
            if entry == "site-packages" or entry.startswith("."):
                continue
            name = entry.split(".")[0]
            if name.isidentifier() if hasattr(name, "isidentifier") else name:
                stdlib_names.add(name)

editable = {}
finders = []
for finder in sys.meta_path:
    module_name = finder.__module__ if isinstance(finder, type) else type(finder).__module__
    # The import system's own finders, and setuptools' shim that only serves `distutils`.
    if module_name in ("_frozen_importlib", "_frozen_importlib_external", "importlib._bootstrap",
                       "importlib._bootstrap_external", "_distutils_hack"):
        continue
    module = sys.modules.get(module_name)
    mapping = getattr(module, "MAPPING", None)
    if isinstance(mapping, dict):
        editable.update((str(k), str(v)) for k, v in mapping.items())
    else:
        finders.append(module_name + "." + getattr(finder, "__name__", type(finder).__name__))

search_path = [p for p in sys.path if p]
json.dump({
    "executable": sys.executable,
    "version": "%d.%d.%d" % sys.version_info[:3],
    "version_info": list(sys.version_info[:2]),
    "platform": sys.platform,
    "implementation": getattr(getattr(sys, "implementation", None), "name", "cpython"),
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "sys_path": search_path,
    "stdlib_dirs": stdlib_dirs,
    "builtin_module_names": sorted(sys.builtin_module_names),
    "stdlib_module_names": sorted(stdlib_names),
    "extension_suffixes": list(ext_suffixes),
    "preloaded": preloaded,
    "editable": editable,
    "other_finders": finders,
}, sys.stdout)
