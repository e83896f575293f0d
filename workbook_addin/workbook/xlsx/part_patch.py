"""One sheet part's whole patch, here or in a second process.

A big refresh patches a few large sheets (50 000 collaborations, the ledger, Creators, Scores)
on one core, while a laptop has two or more. :class:`SecondProcess` is a process started once a
job that will write a big workbook has read it (starting one and importing this code takes about
0.3 s, paid while the job works on one core). It takes sheets as they become final, deflated
bytes in, deflated bytes out (a tenth of the XML to send), one after the other: the ledger and
Collaborations while this process still computes scores and insight sheets, the largest of the
rest at the save while this process patches the others. Where a process cannot be started (one
core, Pyodide, an embedded interpreter) or fails, the part is patched here, as it always was:
the saved file holds the same bytes either way.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from .members import deflate, inflate
from .ranges import extend_ranges, update_dimension
from .sheetxml import SheetEdit, patch_sheet_xml


def patch_part(xml: bytes, edit: SheetEdit, date1904: bool) -> tuple[bytes, bool]:
    """(the sheet part with ``edit`` applied, whether a formula cell was removed): its cells, its
    ``<dimension>``, and the validations and conditional formats that follow a growing table."""
    result = patch_sheet_xml(xml, edit, date1904)
    xml = result.xml
    body = xml.find(b"<sheetData")  # the dimension is above the rows, the ranges that follow a table below
    head = update_dimension(xml[:body].decode("utf-8"), result.max_row, result.max_col).encode("utf-8")
    cut = max(xml.rfind(b"</sheetData>"), body)
    tail = xml[cut:]
    if edit.growths:
        text = tail.decode("utf-8")
        for g in edit.growths:
            text = extend_ranges(text, g.c1, g.c2, g.template_row, g.last_new, g.first_row)
        tail = text.encode("utf-8")
    if head != xml[:body] or tail != xml[cut:]:
        xml = b"".join((head, xml[body:cut], tail))
    return xml, result.removed_formula


def patch_deflated(raw: bytes | None, size: int, crc: int, edit: SheetEdit, date1904: bool,
                   xml: bytes | None = None) -> tuple[bytes, int, int, bool]:
    """:func:`patch_part` of a part given and returned as stored: (deflated bytes, CRC-32, size,
    whether a formula cell was removed). Runs in the second process: a stored sheet is a tenth
    of its XML to send across. ``xml``: the part, inflated before (see :meth:`SecondProcess.preload`)."""
    xml = xml if xml is not None else inflate(raw, size, crc) if raw is not None else None
    if xml is None:
        raise ValueError("the part does not inflate to what the zip directory says")
    new, removed = patch_part(xml, edit, date1904)
    del xml
    out, new_crc = deflate(new)
    return out, new_crc, len(new), removed


#: what the second process runs: this module's :func:`_serve`, imported from the folder this very
#: code was loaded from (not whatever ``workbook_addin`` the working folder may hold)
_CHILD = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r}); "
          f"from {__name__} import _serve; _serve()")


class SecondProcess:
    """A Python process running only this module's :func:`_serve`, fed jobs through its standard
    input and answering each in turn on its standard output. Not ``multiprocessing``: its spawn
    start runs the caller's script again in the child, and a scheduled script without a
    ``__main__`` guard would refresh twice."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self._proc: subprocess.Popen | None = proc
        self._thread = ThreadPoolExecutor(max_workers=1)  # sends each job and waits for its answer, in order
        self._preloaded: set[tuple[int, int]] = set()  # (CRC-32, size) of the parts sent ahead

    @classmethod
    def start(cls) -> SecondProcess | None:
        """A started second process, or None where one would not help or cannot run."""
        if (os.cpu_count() or 1) < 2 or os.environ.get("LIANXING_SECOND_PROCESS", "1") == "0":
            return None
        if not os.path.basename(sys.executable or "").lower().startswith("python"):
            return None  # embedded (Excel, Pyodide): sys.executable would not start Python
        try:
            proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError:
            return None
        return cls(proc)

    def preload(self, raw: bytes, size: int, crc: int) -> None:
        """Sends a part as stored ahead of its edit, to be inflated while the process has nothing
        else to do: the job's later :meth:`submit` of it sends only the edit."""
        if self._proc is not None:
            self._preloaded.add((crc, size))
            self._thread.submit(self._run, ("load", raw, size, crc))

    def submit(self, raw: bytes, size: int, crc: int, edit: SheetEdit, date1904: bool) -> Future | None:
        """The job's future (:func:`patch_deflated`'s answer), or None when the process is gone."""
        if self._proc is None:
            return None
        ahead = (crc, size) in self._preloaded
        self._preloaded.discard((crc, size))
        return self._thread.submit(self._run, ("patch", None if ahead else raw, size, crc, edit, date1904))

    def _run(self, job: tuple) -> tuple[bytes, int, int, bool] | None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise RuntimeError("the second process is closed")
        pickle.dump(job, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        proc.stdin.flush()
        answer = pickle.load(proc.stdout)  # EOFError when it died: the caller patches the part itself
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        """Ends the process (an unfinished job's reader then sees the end of its output and stops;
        jobs not yet sent fail, and their parts are patched here)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self._thread.shutdown(wait=True)
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None and not pipe.closed:
                    pipe.close()


def _serve() -> None:
    """The second process: jobs from standard input, each answer (or error) to standard output,
    until the input ends (the caller closed it or ended)."""
    loaded: dict[tuple[int, int], bytes | None] = {}  # parts sent ahead, inflated, by (CRC-32, size)
    while True:
        try:
            kind, raw, size, crc, *rest = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        try:
            answer: object = None
            if kind == "load":
                loaded[crc, size] = inflate(raw, size, crc)
            else:
                edit, date1904 = rest
                answer = patch_deflated(raw, size, crc, edit, date1904, xml=loaded.pop((crc, size), None))
        except Exception as exc:  # noqa: BLE001 - sent back and raised in the caller, which patches it itself
            answer = exc
        pickle.dump(answer, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.flush()

