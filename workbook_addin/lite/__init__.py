"""The xlwings Lite front: the same KOL_* functions and the same refresh inside the free xlwings Lite
add-in (Python in Pyodide, Excel 2021 / Microsoft 365 on Windows, Mac and the web), so a team needs
no Python installation at all.

Lite loads one ``main.py`` that travels inside the workbook. :mod:`.main_py` generates it from the
one source of the functions (``workbook_addin/udfs.py``, named by string: it sits above this
folder) with the engine bundled as a zip (:mod:`.bundle`) that :mod:`.loader` puts on ``sys.path``;
:mod:`.parts` writes it into the workbook's Office web-extension parts. The refresh behind Lite's
Run button, the classic job through an adapter, is ``workbook_addin/lite_script.py``: like the
functions it is a front, above the folders the build uses, so it is named by string here too.
Change here what changes how the workbook meets xlwings Lite.
"""
