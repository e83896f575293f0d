"""The zip members of a workbook package: inflated when first asked for, deflated fast when changed,
copied still compressed when untouched.

A 50 000-row sheet is tens of megabytes of XML; ISA-L's deflate and inflate (``isal``) do it several
times faster than zlib, with zlib where there is no ISA-L wheel.
"""
from __future__ import annotations

import struct
import types
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from ...core.errors import LianxingError


class PackageError(LianxingError, ValueError):
    """The file is not a workbook this code can patch (the message says what is wrong)."""

#: parts above this size are deflated at level 1 (speed over a few per cent of file size)
BIG_PART = 1_000_000

_FAST_ZLIB: types.ModuleType = zlib
try:  # ISA-L: the same deflate streams as zlib, several times faster (see deflate)
    from isal import isal_zlib

    _FAST_ZLIB = isal_zlib
except ImportError:  # pragma: no cover - a platform without isal wheels
    pass


def deflate(data: bytes) -> tuple[bytes, int]:
    """(raw deflate stream at level 1, CRC-32) of a big changed part. ISA-L's deflate (``isal``)
    is about ten times faster than zlib's at level 1 and compresses these sheets a little better;
    zlib (exactly what ``ZipFile.writestr(compresslevel=1)`` stores) where it is not installed."""
    z = _FAST_ZLIB.compressobj(1, zlib.DEFLATED, -15)
    return z.compress(data) + z.flush(), _FAST_ZLIB.crc32(data)


def inflate(raw: bytes, size: int, crc: int) -> bytes | None:
    """A member's bytes from its raw deflate stream (ISA-L's inflate is twice zlib's), or None when
    they do not come out as the directory says (then zipfile reads it, and says what is wrong)."""
    try:
        data = _FAST_ZLIB.decompressobj(-15).decompress(raw)
    except Exception:  # noqa: BLE001 - isal and zlib raise their own error types; zipfile reports it
        return None
    return data if len(data) == size and _FAST_ZLIB.crc32(data) == crc else None


def write_raw(z: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes, crc: int, size: int) -> bool:
    """Appends a member whose deflated bytes are already at hand, as ``writestr`` would have written
    it. False (nothing written) when this Python's zipfile lacks what it needs, or Zip64 would be."""
    if len(raw) >= zipfile.ZIP64_LIMIT or size >= zipfile.ZIP64_LIMIT or not hasattr(z, "start_dir"):
        return False
    info.compress_type = zipfile.ZIP_DEFLATED
    info.CRC, info.compress_size, info.file_size = crc, len(raw), size
    info.flag_bits = 0
    fp: Any = z.fp  # the archive being written (never None here)
    info.header_offset = fp.tell()
    z._writecheck(info)  # type: ignore[attr-defined]  # the same checks writestr makes
    z._didModify = True  # type: ignore[attr-defined]
    fp.write(info.FileHeader(False))
    fp.write(raw)
    z.filelist.append(info)
    z.NameToInfo[info.filename] = info
    z.start_dir = fp.tell()
    return True


class Members(Mapping):
    """A package's members by name: inflated on first access and kept; raw (still deflated) bytes
    of an untouched member for copying it into the saved file as it is."""

    def __init__(self, zf: zipfile.ZipFile, raw: bytes, infos: list[zipfile.ZipInfo], source: str):
        self._zf, self._raw, self._source = zf, raw, source
        self._infos = {i.filename: i for i in infos}
        self._cache: dict[str, bytes] = {}

    def __getitem__(self, name: str) -> bytes:
        data = self._cache.get(name)
        if data is None:
            data = self._cache[name] = self.uncached(name)
        return data

    def uncached(self, name: str) -> bytes:
        """A member's bytes, inflated here and not kept (unless kept already): a big sheet another
        reader parses is looked at once, and should not stay in memory."""
        data = self._cache.get(name)
        if data is not None:
            return data
        if name not in self._infos:
            raise KeyError(name)
        info = self._infos[name]
        raw = self.raw(info) if info.file_size > BIG_PART else None
        data = inflate(raw, info.file_size, info.CRC) if raw is not None else None
        if data is not None:
            return data
        try:
            return self._zf.read(name)
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            raise PackageError(f"{self._source}: part {name} is damaged ({exc}) / 工作簿文件已损坏") from exc

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)

    def raw(self, info: zipfile.ZipInfo) -> bytes | None:
        """The member's deflated bytes as stored, or None when they cannot be copied as they are."""
        start = data_start(info, self._raw[info.header_offset:info.header_offset + 30])
        if start is None:
            return None
        data = self._raw[start:start + info.compress_size]
        return data if len(data) == info.compress_size else None


def data_start(info: zipfile.ZipInfo, head: bytes) -> int | None:
    """Where a member's deflated bytes start in the archive, from the 30 bytes of its local header
    (``head``); None when it is not stored as plain deflate or that is not its header."""
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
        return None
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    return info.header_offset + 30 + name_len + extra_len
