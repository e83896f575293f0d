"""xlwings' own UDF decorators and VBA wrapper generator, usable on every platform.

Open-source xlwings defines its real ``@xw.func``/``@xw.arg``/``@xw.ret`` (which record the
``__xlfunc__`` metadata that "Import Functions" turns into VBA) and ``generate_vba_wrapper`` in
``xlwings/udfs.py``. That module imports pywin32 at the top, so on Linux and macOS ``xw.func`` is a
no-op and the wrapper generator cannot be imported. We build the workbook on Linux and want exactly
the VBA that xlwings would write on Windows, so we load xlwings' unmodified ``udfs.py`` under a
private module name with inert stand-ins for the three pywin32 modules it imports at the top. Only
pure-Python parts are used here (the decorators and the text generator); nothing that talks to COM.
On Windows with pywin32 the real module is used as it is.

Inside xlwings Lite (Pyodide) there is no classic UDF server to load and nothing to generate: the
Lite front's ``main.py`` decorates its own wrappers with Lite's decorators, so here the three are
plain pass-throughs (also under any ``xlwings`` without the classic ``udfs.py``).
"""
from __future__ import annotations

import importlib.util
import sys
import types
from types import ModuleType
from typing import Any

import xlwings

from ..core.xlwings_version import classic_runtime

_PRIVATE_NAME = "xlwings._lianxing_udfs"


def _load_xlwings_udfs() -> ModuleType:
    if sys.platform.startswith("win") and getattr(xlwings, "has_pywin32", False):
        return importlib.import_module("xlwings.udfs")
    if _PRIVATE_NAME in sys.modules:
        return sys.modules[_PRIVATE_NAME]
    stubs: dict[str, ModuleType] = {}
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        if name not in sys.modules:
            stubs[name] = types.ModuleType(name)
    if "pythoncom" in stubs:
        stubs["pythoncom"].CoInitialize = lambda: None  # type: ignore[attr-defined]
    if "win32com.client" in stubs:
        stubs["win32com.client"].Dispatch = None  # type: ignore[attr-defined]
        if "win32com" in stubs:
            stubs["win32com"].client = stubs["win32com.client"]  # type: ignore[attr-defined]
    sys.modules.update(stubs)
    try:
        spec = importlib.util.spec_from_file_location(_PRIVATE_NAME, xlwings.__path__[0] + "/udfs.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[_PRIVATE_NAME] = module
        spec.loader.exec_module(module)
    finally:
        # The stand-ins must not make other code believe pywin32 is installed.
        for name in stubs:
            sys.modules.pop(name, None)
    return module


def _pass_through(*_args: Any, **_kwargs: Any) -> Any:
    """``@func``, ``@func(...)``, ``@arg(...)``, ``@ret(...)`` that leave the function as it is."""
    if len(_args) == 1 and callable(_args[0]) and not _kwargs:
        return _args[0]
    return lambda f: f


if classic_runtime():
    _udfs = _load_xlwings_udfs()
    #: xlwings' real decorators: they record ``__xlfunc__`` exactly as on Windows.
    func, arg, ret = _udfs.xlfunc, _udfs.xlarg, _udfs.xlret
    #: xlwings' generator of the "Import Functions" VBA wrapper text.
    generate_vba_wrapper = _udfs.generate_vba_wrapper
    VBAWriter = _udfs.VBAWriter
else:
    func = arg = ret = _pass_through
