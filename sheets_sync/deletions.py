"""One sync's part in the team's register of creators (:mod:`sheets_sync.register`).

Why its own module: the merge decides cell by cell between three sides; the register adds what
none of them can know alone - that the team deleted a creator this workbook never synced, or erased
a creator's personal data in another workbook - and these rules change with the team's data policy,
not with the merge.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from workbook_addin.core.schema import Sheet

from .backend import Backend, RemoteRow, RemoteTable
from .merge import TOMBSTONE, MergeResult
from .register import RegisterPass, key_hash


def start_register(remote: RemoteTable, now: str) -> RegisterPass | None:
    """What the register says before merging (None: the backend keeps no register)."""
    if remote.register is None:
        return None
    return RegisterPass.start(remote.register, remote.rows, now)


def shared_erasures(reg: RegisterPass | None, sheet: Sheet, mine: Mapping[str, Mapping[str, str]],
                    remote: Mapping[str, RemoteRow]) -> list[str]:
    """Creators whose personal data the team erased (``--forget`` in another workbook) and this
    workbook still holds: they are forgotten here too. A creator whose personal data a person typed
    into the shared sheet again since is remembered instead (the register is told)."""
    if reg is None or not reg.register.forgotten:
        return []
    personal = [c.key for c in sheet.synced_columns if c.personal]
    forgotten = {reg.present[h] for h in reg.register.forgotten if h in reg.present}
    archive = {k: {c: remote[k].values.get(c, "") for c in personal} for k in forgotten if k in remote}
    candidates = [k for k in forgotten if k in mine]  # then the few the archive lacks, hashed one by one
    candidates += [k for k in mine if k not in remote and key_hash(k) in reg.register.forgotten]
    return reg.to_forget([k for k in candidates if any(mine[k].get(c) for c in personal)], archive)


def keep_out(reg: RegisterPass | None, mine: Iterable[str], remote: Mapping[str, RemoteRow],
             base: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Creators of this workbook the team deleted from the archive and this workbook never synced:
    base rows holding a tombstone, so the merge never appends them again (and the workbook is told).
    A creator this workbook synced before is tombstoned, and told about, by the merge itself."""
    if reg is None:
        return {}
    return {key: {TOMBSTONE: at} for key, at in reg.kept_out(mine, remote).items() if key not in base}


def record(backend: Backend, reg: RegisterPass | None, result: MergeResult, forgot: Iterable[str]) -> list[str]:
    """Append what this sync learned to the register; a failure is reported, the sync stands (the
    next sync finds the same again, except an erasure, which the message asks to repeat)."""
    if reg is None:
        return []
    rows = reg.events([r["creator_key"] for r in result.remote_rows], forgot, result.deleted)
    if not rows:
        return []
    try:
        backend.add_register_rows(rows)
    except Exception as error:  # noqa: BLE001 - the data is synced; only the register line is missing
        again = " Run the `--forget` again later so every workbook hears of it." if forgot else ""
        return [f"共享登记 register ({backend.describe()}): 未能记录 the register of deleted creators could not be "
                f"updated ({type(error).__name__}); the data itself was synced.{again}"]
    return []


def erasure_notes(keys: Iterable[str]) -> list[str]:
    """What the workbook is told about creators forgotten because the team erased them."""
    return [f"达人 {key} 的个人信息已按团队的删除请求清除 the personal data of creator {key} was cleared here "
            "because the team erased it (an erasure request, `lianxing sync --forget` in another workbook). "
            "If the creator gave it again, type it into the shared sheet; every workbook then syncs it again."
            for key in keys]

