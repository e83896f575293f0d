"""Runs a ``main.py`` read out of a built workbook the way xlwings Lite would, on CPython.

Started as ``python -S harness.py MAIN_PY SITE_PACKAGES`` (no site: the project's editable install
is not on the path), so the only ``workbook_addin`` this interpreter can import is the bundle inside
main.py, and the only ``xlwings`` is the stand-in beside this file. Reads a JSON list of requests on
stdin and writes a JSON list of answers on stdout:

- ``{"call": NAME, "args": [...]}``: the function called with these Python values, as Lite hands
  them after its conversion; ``{"lite_call": NAME, "blocks": [...]}``: called through the
  stand-in's :func:`xlwings.call` from the 2-D blocks Excel sends;
- ``{"refresh": STATE, "fullname": ..., "data_dir": ..., "now": ISO or null, "script": bool}``: the
  Lite refresh on a :class:`fake_book.LiteBook` holding STATE (see fake_book.dumps); with
  ``script`` through main.py's ``@script refresh_metrics(book)`` as the Run button calls it (its
  data folder set to ``data_dir``), else ``main._lite.refresh`` with ``now``; answers the book's
  state afterwards, its alerts and what the script printed;
- ``{"probe": true}``: where the modules came from and which project modules are loaded.
"""
import asyncio
import contextlib
import datetime as dt
import importlib.util
import io
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
        if "refresh" in request:
            return _refresh(main, request)
        if "call" in request:
            return {"value": getattr(main, request["call"])(*request["args"])}
        return {"value": xlwings.call(getattr(main, request["lite_call"]), *request["blocks"])}
    except Exception as exc:  # the test shows what went wrong
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def _refresh(main, request):
    import fake_book

    book = fake_book.LiteBook(request["fullname"])
    book.load_state(request["refresh"])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        if request.get("script"):
            main._lite.DATA_DIR = request["data_dir"]
            asyncio.run(main.refresh_metrics(book))
        else:
            now = dt.datetime.fromisoformat(request["now"])
            asyncio.run(main._lite.refresh(book, data_dir=request["data_dir"], now=now))
    return {"state": book.state(), "alerts": book.app.alerts, "printed": printed.getvalue(), "writes": book.writes}


def main():
    main_path, site_dir = sys.argv[1], sys.argv[2]
    sys.path.append(site_dir)
    module = _load(main_path)
    import fake_book

    requests = fake_book.loads(sys.stdin.read())
    sys.stdout.write(fake_book.dumps([_answer(module, r) for r in requests]))


if __name__ == "__main__":
    main()
