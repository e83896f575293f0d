"""Credentials for the shared Google Sheet, and the plain-language explanation of access errors.

Why its own module: how a sync signs in and what a person is told when Google refuses changes for
other reasons (new key types, Google's wording) than how rows are read and written.

Messages name the setting to fix and the sheet id, never the key file's local path, the service
account's e-mail or the login name: they end up in the workbook's run log and in the shared sync log,
which the whole team (and anyone the file is forwarded to) reads.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gspread
from google.auth import exceptions as auth_exceptions

from .backend import SyncError
from .retry import describe, status_of

SCOPES = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.file"]
SETTING = "设置 Settings › google_credentials"
#: Google's wording when a write touches a protected range the account may not edit.
PROTECTED_HINT = "protected cell"


def load_credentials(path: Path, sheet_key: str) -> Any:
    """Credentials from a service-account key, an authorized-user file, or an OAuth client file
    (which opens a browser once and caches the sign-in beside it, never in the workbook)."""
    name = path.name
    if not path.exists():
        raise SyncError(f"Google 凭据文件不存在 Credentials file {name} not found ({SETTING}, for Google Sheet "
                        f"{sheet_key}).")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SyncError(f"Google 凭据文件无法读取 Credentials file {name} ({SETTING}) "
                        "is not a readable JSON key file.") from None
    kind = info.get("type") or ("installed" if "installed" in info else "web" if "web" in info else "")
    try:
        if kind == "service_account":
            from google.oauth2.service_account import Credentials as ServiceAccount

            return ServiceAccount.from_service_account_info(info, scopes=SCOPES)
        if kind == "authorized_user":
            from google.oauth2.credentials import Credentials as UserCredentials

            return UserCredentials.from_authorized_user_info(info, scopes=SCOPES)
        if kind in ("installed", "web"):
            token = path.with_name(path.stem + ".token.json")
            client = gspread.oauth(credentials_filename=str(path), authorized_user_filename=str(token), scopes=SCOPES)
            return client.http_client.auth
    except (ValueError, KeyError, auth_exceptions.GoogleAuthError) as error:
        raise SyncError(f"Google 凭据文件无效 Credentials file {name} ({SETTING}) could not be used for Google "
                        f"Sheet {sheet_key}: {type(error).__name__}.") from error
    raise SyncError(f"Google 凭据文件类型未知 Credentials file {name} ({SETTING}) is neither a service-account key, "
                    f"an OAuth client file nor a saved OAuth sign-in (type {kind!r}).")


def explain(error: BaseException, sheet_key: str) -> SyncError | None:
    """A SyncError saying what a person should do about a credential or access problem (None for
    other errors, which the sync retries or reports as they are)."""
    if isinstance(error, auth_exceptions.RefreshError):
        return SyncError(f"Google 凭据被拒绝 Google refused the credentials in {SETTING} (expired, revoked or "
                         f"deleted key) while opening Google Sheet {sheet_key}. Create a new key or sign in "
                         "again, and point the setting at it.")
    status = status_of(error)
    if status == 401:
        return SyncError(f"Google 凭据无效 Google rejected the credentials in {SETTING} for Google Sheet {sheet_key} "
                         "(HTTP "
                         "401).")
    if status == 403 and PROTECTED_HINT in describe(error).lower():
        return SyncError(f"受保护区域 Google Sheet {sheet_key} protects the cells this sync had to change: the sheet "
                         "is shared with the sync's account, but a protected range does not list it as an editor. "
                         "Ask the sheet's owner to add the account to that range's editors (Data › Protect sheets "
                         "and ranges), or to make it warning-only. Nothing was changed; the next sync retries (HTTP "
                         "403).")
    if status == 403:
        return SyncError(f"无权访问 The account in {SETTING} has no access to Google Sheet {sheet_key}: share the "
                         "sheet as editor with the client_email written in that key file (HTTP 403).")
    if status == 404:
        return SyncError(f"找不到表格 Google Sheet {sheet_key} was not found (HTTP 404): check 设置 Settings › "
                         "google_sheet_key.")
    return None
