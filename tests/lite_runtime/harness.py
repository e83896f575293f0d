"""Runs a ``main.py`` read out of a built workbook the way xlwings Lite would, on CPython.

Started as ``python -S harness.py MAIN_PY SITE_PACKAGES`` (no site: the project's editable install
is not on the path), so the only ``workbook_addin`` this interpreter can import is the bundle inside
main.py, and the only ``xlwings`` is the stand-in beside this file. Reads a JSON list of requests on
stdin and writes a JSON list of answers on stdout:

- ``{"call": NAME, "args": [...]}``: the function called with these Python values, as Lite hands
  them after its conversion; ``{"lite_call": NAME, "blocks": [...]}``: called through the
  stand-in's :func:`xlwings.call` from the 2-D blocks Excel sends;
- ``{"probe": true}``: where the modules came from and which project modules are loaded.
"""
import importlib.util
import json
import sys
import traceback


def _load(path):
    spec = importlib.util.spec_from_file_location("main", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    return module


def _answer(main, request):
    import xlwings

    try:
        if "probe" in request:
            import workbook_addin

            return {"workbook_addin": workbook_addin.__file__, "xlwings": xlwings.__file__,
                    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("workbook_addin", "templates")),
                    "functions": {n: [a["name"] for a in f.__xlfunc__["args"]]
                                  for n, f in vars(main).items() if hasattr(f, "__xlfunc__")},
                    "scripts": sorted(n for n, f in vars(main).items() if hasattr(f, "__xlscript__"))}
        if "call" in request:
            return {"value": getattr(main, request["call"])(*request["args"])}
        return {"value": xlwings.call(getattr(main, request["lite_call"]), *request["blocks"])}
    except Exception as exc:  # the test shows what went wrong
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def main():
    main_path, site_dir = sys.argv[1], sys.argv[2]
    sys.path.append(site_dir)
    module = _load(main_path)
    requests = json.load(sys.stdin)
    json.dump([_answer(module, r) for r in requests], sys.stdout)


if __name__ == "__main__":
    main()
