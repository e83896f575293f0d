"""The Office web-extension parts that make a workbook carry its xlwings Lite code.

Lite keeps its code in Office.js document settings, which Excel stores as ``<we:property>``
entries of ``xl/webextensions/webextension1.xml``: each value is the text JSON-encoded (newlines
become the two characters ``\\n``) and then escaped as an XML attribute. A task-pane part
(``taskpanes.xml``, visible) makes Excel offer the add-in when the workbook opens; a package
relationship and two content-type overrides tie them in. XlsxWriter writes none of this and the
parts sit beside ``vbaProject.bin``, so :func:`add_lite_parts` patches the built file afterwards,
copying every other zip entry as it is (same order, same timestamps): the build stays deterministic.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

WEBEXTENSION = "xl/webextensions/webextension1.xml"
TASKPANES = "xl/webextensions/taskpanes.xml"
TASKPANES_RELS = "xl/webextensions/_rels/taskpanes.xml.rels"
PACKAGE_RELS = "_rels/.rels"
CONTENT_TYPES = "[Content_Types].xml"

WE_NS = "http://schemas.microsoft.com/office/webextensions/webextension/2010/11"
WETP_NS = "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_TASKPANES = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
REL_WEBEXTENSION = "http://schemas.microsoft.com/office/2011/relationships/webextension"
CT_WEBEXTENSION = "application/vnd.ms-office.webextension+xml"
CT_TASKPANES = "application/vnd.ms-office.webextensiontaskpanes+xml"

#: xlwings Lite's id in Microsoft's add-in store (AppSource asset WA200008175)
ADDIN_STORE_ID = "wa200008175"
#: a fixed id for this web-extension instance, so two builds are byte-for-byte the same
WEBEXTENSION_ID = "{4C1A2F3E-5B6D-4E7F-8A9B-0C1D2E3F4A5B}"
PYODIDE_VERSION = "0.27.5"
ADDIN_VERSION = "1.0.0.0"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def webextension_xml(properties: Mapping[str, Any]) -> str:
    """``webextension1.xml``: the store reference to xlwings Lite and the document settings."""
    props = "".join(f'<we:property name="{_attr(k)}" value="{_attr(json.dumps(v, ensure_ascii=False))}"/>'
                    for k, v in properties.items())
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<we:webextension xmlns:we="{WE_NS}" id="{WEBEXTENSION_ID}">'
            f'<we:reference id="{ADDIN_STORE_ID}" version="1.0.0.0" store="en-US" storeType="OMEX"/>'
            f'<we:alternateReferences><we:reference id="{ADDIN_STORE_ID.upper()}" version="1.0.0.0" '
            f'store="{ADDIN_STORE_ID.upper()}" storeType="OMEX"/></we:alternateReferences>'
            f'<we:properties>{props}</we:properties><we:bindings/>'
            f'<we:snapshot xmlns:r="{R_NS}"/></we:webextension>')


def taskpanes_xml() -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<wetp:taskpanes xmlns:wetp="{WETP_NS}"><wetp:taskpane dockstate="right" visibility="1" '
            f'width="350" row="4"><wetp:webextensionref xmlns:r="{R_NS}" r:id="rId1"/></wetp:taskpane>'
            '</wetp:taskpanes>')


def taskpanes_rels() -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_WEBEXTENSION}" '
            'Target="webextension1.xml"/></Relationships>')


def lite_properties(main_py: str, requirements: str) -> dict[str, Any]:
    """The document settings: Office's own switch that opens the task pane with the document
    (after the person trusts the add-in once), then what Lite reads."""
    return {"Office.AutoShowTaskpaneWithDocument": True, "main.py": main_py, "requirements.txt": requirements,
            "pyodideVersion": PYODIDE_VERSION, "addinVersion": ADDIN_VERSION}


def _with_package_rel(xml: str) -> str:
    if REL_TASKPANES in xml:
        return xml
    ids = {int(n) for n in re.findall(r'Id="rId(\d+)"', xml)}
    rel = f'<Relationship Id="rId{max(ids, default=0) + 1}" Type="{REL_TASKPANES}" Target="{TASKPANES}"/>'
    return xml.replace("</Relationships>", rel + "</Relationships>")


def _with_content_types(xml: str) -> str:
    for part, kind in ((WEBEXTENSION, CT_WEBEXTENSION), (TASKPANES, CT_TASKPANES)):
        if f'PartName="/{part}"' not in xml:
            xml = xml.replace("</Types>", f'<Override PartName="/{part}" ContentType="{kind}"/></Types>')
    return xml


def add_lite_parts(path: str | Path, properties: Mapping[str, Any]) -> None:
    """Writes (or replaces) the Lite parts in the workbook at ``path``, atomically."""
    path = Path(path)
    new_parts = {WEBEXTENSION: webextension_xml(properties), TASKPANES: taskpanes_xml(),
                 TASKPANES_RELS: taskpanes_rels()}
    patch = {PACKAGE_RELS: _with_package_rel, CONTENT_TYPES: _with_content_types}
    fd, tmp = tempfile.mkstemp(prefix=".lianxing-lite-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                if info.filename in new_parts:
                    continue
                data = src.read(info)
                if info.filename in patch:
                    data = patch[info.filename](data.decode("utf-8")).encode("utf-8")
                out.writestr(info, data)
            for name, text in new_parts.items():
                info = zipfile.ZipInfo(name, ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, text.encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_lite_properties(path: str | Path) -> dict[str, Any]:
    """The document settings a workbook carries for Lite, decoded (XML parse, then JSON), e.g. to
    read back the ``main.py`` a workbook would run. Empty when the workbook has no Lite parts."""
    with zipfile.ZipFile(path) as z:
        if WEBEXTENSION not in z.namelist():
            return {}
        root = ET.fromstring(z.read(WEBEXTENSION))
    return {p.get("name", ""): json.loads(p.get("value", "null"))
            for p in root.iter(f"{{{WE_NS}}}property")}
