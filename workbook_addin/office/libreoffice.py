"""A headless LibreOffice to look at workbooks with: probe them through UNO, picture them as PNG.

There is no Excel on Linux; LibreOffice Calc opens the .xlsm, recalculates native formulas, shows
the imported VBA modules and the button, and prints sheets to PDF. ``soffice`` runs with its own
throw-away profile and listens on 127.0.0.1 only. UNO belongs to the system Python
(``/usr/bin/python3`` with Debian's python3-uno), so :mod:`workbook_addin.office.lo_uno` runs there and
answers in JSON. Every workbook is opened from a temporary COPY and never stored back.
"""
from __future__ import annotations

from collections.abc import Sequence

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from ..core.errors import LianxingError

UNO_PYTHON = os.environ.get("LIANXING_UNO_PYTHON", "/usr/bin/python3")
SCRIPT = Path(__file__).with_name("lo_uno.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OfficeError(LianxingError, RuntimeError):
    """LibreOffice is missing, or could not open or picture a file: the message says which and why."""


class LibreOffice:
    """``with LibreOffice() as lo: lo.probe(path)`` — one soffice for many calls."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.profile = Path(tempfile.mkdtemp(prefix="lianxing-lo-"))
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> LibreOffice:
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if soffice is None:
            raise OfficeError("未安装 LibreOffice is not installed (soffice not found on PATH)")
        self.proc = subprocess.Popen(
            [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
             f"-env:UserInstallation={self.profile.as_uri()}",
             f"--accept=socket,host=127.0.0.1,port={self.port};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _run(self, *args: str, timeout: float = 180) -> dict[str, Any]:
        """Runs one UNO script command. When the script dies without a word (soffice or its UNO
        bridge went away, seen on an overloaded machine), a fresh soffice gets one more try; any
        failure the script itself reports is raised at once, with what it printed. A script killed
        by a signal after it printed its whole answer (the UNO bridge crashing as it closes, seen
        in CI) has done its work: the answer is taken."""
        done = self._script(args, timeout)
        if done.returncode != 0 and not done.stderr.strip() and _answer(done) is None:
            self._restart()
            done = self._script((args[0], str(self.port), *args[2:]), timeout)  # args[1] is the port
        if done.returncode != 0:
            if (answer := _answer(done)) is not None:
                return answer
            said = (done.stderr.strip() or done.stdout.strip())[-2000:]
            raise OfficeError(f"LibreOffice 无法完成 could not finish (exit {done.returncode}): {said}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _restart(self) -> None:
        """A fresh soffice on a new port with a new profile."""
        self.__exit__()
        self.port = _free_port()
        self.profile = Path(tempfile.mkdtemp(prefix="lianxing-lo-"))
        self.__enter__()

    def _script(self, args: tuple[str, ...], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run([UNO_PYTHON, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)

    def _on_copy(self, command: str, workbook: str | Path, *rest: str) -> dict[str, Any]:
        """Runs ``command`` on a temporary copy of ``workbook``, so the user's file is never touched;
        a failure names the user's file, not the copy."""
        workbook = Path(workbook)
        if not workbook.is_file():
            raise OfficeError(f"找不到文件 file not found: {workbook}")
        with tempfile.TemporaryDirectory(prefix=f"lianxing-{command}-") as tmp:
            copy = Path(tmp) / ("copy" + workbook.suffix)
            shutil.copyfile(workbook, copy)
            try:
                return self._run(command, str(self.port), str(copy), *rest)
            except OfficeError as error:
                raise OfficeError(error.message.replace(str(copy), str(workbook))) from None

    def probe(self, workbook: str | Path, detail_sheets: Sequence[str] = ()) -> dict[str, Any]:
        """Sheets, hidden sheets, Basic modules, shapes and button events, charts, named ranges,
        and the formula cells of ``detail_sheets`` before and after ``calculateAll``."""
        return self._on_copy("probe", workbook, *detail_sheets)

    def layout(self, workbook: str | Path, sheet_rows: dict[str, int]) -> dict[str, Any]:
        """Print areas, conditional-format ranges and the drop-down columns of one row per sheet,
        as LibreOffice reads them from the file."""
        return self._on_copy("layout", workbook, *(f"{s}={r}" for s, r in sheet_rows.items()))

    def sheet_pdf(self, workbook: str | Path, sheet: str, out_pdf: str | Path) -> Path:
        self._on_copy("pdf", workbook, str(Path(out_pdf).resolve()), sheet)
        return Path(out_pdf)


def _answer(done: subprocess.CompletedProcess[str]) -> dict[str, Any] | None:
    """The whole answer a script killed by a signal printed before it died, with nothing on
    stderr (its last line, a JSON object), or None."""
    lines = done.stdout.strip().splitlines()
    if done.returncode >= 0 or done.stderr.strip() or not lines:
        return None
    try:
        answer = json.loads(lines[-1])
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def pdf_to_png(pdf: Path, out_prefix: Path, dpi: int = 110) -> list[Path]:
    """Every page of ``pdf`` as ``<out_prefix>-<n>.png`` (poppler's pdftoppm)."""
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(out_prefix)], check=True, timeout=120)
    return sorted(out_prefix.parent.glob(out_prefix.name + "-*.png"))
