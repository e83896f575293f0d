"""Request validation against Google's discovery documents (``reference/google-api-discovery/``, vendored with its licence note).

Google rejects a request body carrying a field its schema does not define ("Invalid JSON payload
received. Unknown name ...") and a value of the wrong JSON type ("Invalid value at ..."). A fake that
accepted them would let a client bug through to production, so every body and every query parameter
of a Sheets call is checked here against the published schemas before the model sees it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ApiError, field_violation

DISCOVERY_DIR = Path(__file__).resolve().parent / "reference" / "google-api-discovery"

_PROTO_TYPES = {"string": "TYPE_STRING", "boolean": "TYPE_BOOL", "integer": "TYPE_INT32", "number": "TYPE_DOUBLE"}


@lru_cache(maxsize=None)
def document(name: str = "sheets.v4.json") -> dict[str, Any]:
    """The parsed discovery document (read once per process)."""
    return json.loads((DISCOVERY_DIR / name).read_text(encoding="utf-8"))


def method(method_id: str, name: str = "sheets.v4.json") -> dict[str, Any]:
    """A method by its id path, e.g. ``spreadsheets.values.update``."""
    node: dict[str, Any] = document(name)
    parts = method_id.split(".")
    for part in parts[:-1]:
        node = node["resources"][part]
    return node["methods"][parts[-1]]


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def validate_body(schema_name: str, body: Any, at: str = "", name: str = "sheets.v4.json") -> None:
    """Raise the API's 400 if ``body`` has unknown fields or wrongly typed values for ``schema_name``."""
    schemas = document(name)["schemas"]
    _check_object(schemas, schema_name, body, at)


def _where(at: str) -> str:
    return f" at '{at}'" if at else ""


def _check_object(schemas: dict[str, Any], schema_name: str, value: Any, at: str) -> None:
    if not isinstance(value, dict):
        msg = f"Invalid value at '{at}' (type.googleapis.com/google.apps.sheets.v4.{schema_name}), {_json_text(value)}" if at \
            else f"Invalid JSON payload received. Expected an object for {schema_name}."
        raise field_violation(at, msg)
    props = schemas[schema_name].get("properties", {})
    for key, sub in value.items():
        if key not in props:
            msg = f"Invalid JSON payload received. Unknown name \"{key}\"{_where(at)}: Cannot find field."
            raise field_violation(at, msg)
        if sub is None:
            continue
        _check_value(schemas, props[key], sub, f"{at}.{key}" if at else key, schema_name)


def _check_value(schemas: dict[str, Any], spec: dict[str, Any], value: Any, at: str, owner: str) -> None:
    if "$ref" in spec:
        _check_object(schemas, spec["$ref"], value, at)
        return
    kind = spec.get("type")
    if kind == "array":
        if not isinstance(value, list):
            proto = "type.googleapis.com/google.protobuf.ListValue" if spec.get("items", {}).get("type") == "array" \
                else _PROTO_TYPES.get(spec.get("items", {}).get("type", ""), "TYPE_MESSAGE")
            raise field_violation(at, f"Invalid value at '{at}' ({proto}), {_json_text(value)}")
        for i, item in enumerate(value):
            if item is not None:
                _check_value(schemas, spec["items"], item, f"{at}[{i}]", owner)
        return
    if kind == "object" and "additionalProperties" in spec:
        if not isinstance(value, dict):
            raise field_violation(at, f"Invalid value at '{at}' (TYPE_MESSAGE), {_json_text(value)}")
        for k, item in value.items():
            _check_value(schemas, spec["additionalProperties"], item, f"{at}[{k}]", owner)
        return
    if kind == "any" or kind == "object":
        if kind == "any" and isinstance(value, (list, dict)):
            raise field_violation(at, f"Invalid value at '{at}' (type.googleapis.com/google.protobuf.Value), {_json_text(value)}")
        return
    bad = False
    if kind == "string":
        if isinstance(value, (list, dict)) or (spec.get("format") in ("int64", "uint64") and isinstance(value, bool)):
            bad = True
        elif "enum" in spec and value not in spec["enum"]:
            raise field_violation(at, f"Invalid value at '{at}' (type.googleapis.com/google.apps.sheets.v4.{owner}), {_json_text(value)}")
        elif not isinstance(value, str) and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
            bad = True
    elif kind == "boolean":
        bad = not isinstance(value, bool)
    elif kind == "integer":
        if isinstance(value, bool) or isinstance(value, (list, dict)):
            bad = True
        elif isinstance(value, float):
            bad = not value.is_integer()
        elif isinstance(value, str):
            bad = not value.lstrip("-").isdigit()
    elif kind == "number":
        bad = isinstance(value, (bool, list, dict)) or (isinstance(value, str) and not _is_number(value))
    if bad:
        raise field_violation(at, f"Invalid value at '{at}' ({_PROTO_TYPES.get(kind or '', 'TYPE_MESSAGE')}), {_json_text(value)}")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def validate_query(method_id: str, query: dict[str, list[str]], name: str = "sheets.v4.json") -> None:
    """Unknown query parameters and bad enum values are 400s, as Google answers them."""
    params = dict(document(name).get("parameters", {}))
    params.update(method(method_id, name).get("parameters", {}))
    for key, values in query.items():
        spec = params.get(key)
        if spec is None or spec.get("location") == "path":
            raise ApiError(400, f"Invalid JSON payload received. Unknown name \"{key}\": Cannot bind query parameter. "
                                f"Field '{key}' could not be found in request message.")
        for v in values:
            if "enum" in spec and v not in spec["enum"]:
                raise ApiError(400, f"Invalid value at '{_snake(key)}' (type.googleapis.com/google.apps.sheets.v4.{key[0].upper() + key[1:]}), \"{v}\"",
                               details=[{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                         "fieldViolations": [{"field": _snake(key), "description": f"Invalid value at '{_snake(key)}' (type.googleapis.com/google.apps.sheets.v4.{key[0].upper() + key[1:]}), \"{v}\""}]}])
            if spec.get("type") == "boolean" and v.lower() not in ("true", "false", "1", "0"):
                raise ApiError(400, f"Invalid value at '{_snake(key)}' (TYPE_BOOL), \"{v}\"")
            if spec.get("type") == "integer" and not v.lstrip("-").isdigit():
                raise ApiError(400, f"Invalid value at '{_snake(key)}' (TYPE_INT32), \"{v}\"")


def _snake(name: str) -> str:
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name)
