"""Unpacks the engine bundle that ``main.py`` carries and puts it on ``sys.path``.

This file's source is copied verbatim into the generated ``main.py`` (Lite loads that one file), so
it imports only the standard library and works on CPython and Pyodide alike. The bundle is a zip of
the project's packages, base64 text inside ``main.py``; ``zipimport`` and ``importlib.resources``
read it in place, so nothing is extracted file by file.
"""
import base64
import hashlib
import os
import sys
import tempfile

#: the packages a bundle holds; modules of an older bundle are dropped when a new one is installed
BUNDLED_PACKAGES = ("workbook_addin", "templates")


class BundleError(RuntimeError):
    """The bundle inside main.py is damaged (its checksum does not match)."""


def install_bundle(encoded: str, sha256: str, folder: str | None = None) -> str:
    """Writes the bundle once per content (its checksum names the file), puts it first on
    ``sys.path`` and returns its path. Lite runs ``main.py`` again after every edit: a bundle with
    other content replaces the one before, and its modules are imported afresh."""
    damaged = "the engine bundle in main.py is damaged: rebuild the workbook with `lianxing build`"
    try:
        data = base64.b64decode(encoded, validate=True)
    except ValueError as exc:  # binascii.Error: not base64 any more
        raise BundleError(damaged) from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BundleError(damaged)
    path = os.path.join(folder or tempfile.gettempdir(), f"lianxing_bundle_{sha256[:16]}.zip")
    if not os.path.exists(path):
        partial = path + ".part"
        with open(partial, "wb") as fh:
            fh.write(data)
        os.replace(partial, path)
    if path not in sys.path:
        stale = [p for p in sys.path if os.path.basename(p).startswith("lianxing_bundle_")]
        for old in stale:
            sys.path.remove(old)
        if stale:
            for name in [m for m in sys.modules if m.split(".")[0] in BUNDLED_PACKAGES]:
                del sys.modules[name]
        sys.path.insert(0, path)
    return path
