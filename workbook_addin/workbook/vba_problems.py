"""The VBA that tells a person, in plain words, why the Python behind the workbook did not run.

Where Python cannot start, only VBA can speak. Two cases matter (see :mod:`..core.xlwings_version`):

- Windows, a ``KOL_`` function: the standalone module cannot load ``xlwings64-<version>.dll``
  (VBA error 53 "File not found" or 48 "Error in loading DLL"), because xlwings is missing or
  another version is installed; or Python runs but says its xlwings is not the pinned one. The
  person gets one message box per Excel session naming the version and the pip command, and the
  function returns ``#N/A`` so the cell falls back to the value of the last refresh instead of
  showing a message or going blank. Any other error keeps xlwings' behaviour (its description).
- A Mac, where classic xlwings has no functions at all: ``#N/A`` quietly (the guide says why);
  and the button, when the AppleScript of this version is missing, names the version and the two
  commands instead of xlwings' generic hint.

The VBA project's code page is 1252, so the Chinese half is spelled with ``ChrW``.
"""
from __future__ import annotations

import re

CELL_PROBLEM_VBA = "XlwingsProblem"
MAC_RUNPYTHON_HELP_VBA = "XlwingsRunPythonHelp"
#: What Python's own message (xlwings_version.problem) always contains, so VBA can recognise it.
PYTHON_PROBLEM_MARK = "pip install xlwings=="

#: The once-per-session message box on Windows when the functions cannot run.
WINDOWS_FUNCTIONS_TEXT = (
    "Python 函数无法运行：需要装有 xlwings {version} 的 Python。请在命令行运行 pip install xlwings=={version}"
    "（或在项目文件夹运行 pip install -e .），然后重新打开 Excel。在此之前，单元格显示上次刷新的值。详见“使用说明”。\n"
    "The Python functions cannot run: they need Python with xlwings {version}. Run pip install xlwings=={version} "
    "(or pip install -e . in the project folder), then restart Excel. Until then the cells show the values of the "
    "last refresh. See the How to use sheet.")
#: The Mac button, when the AppleScript of this xlwings version is missing.
MAC_RUNPYTHON_TEXT = (
    "Excel 找不到 xlwings {version} 启动 Python 所需的 AppleScript。请在“终端”运行 pip install xlwings=={version}，"
    "再运行 xlwings runpython install，然后重新打开 Excel。\n"
    "Excel could not find the AppleScript of xlwings {version} that starts Python. In Terminal run "
    "pip install xlwings=={version}, then xlwings runpython install, then restart Excel.")


def vba_text(text: str, indent: str, target: str) -> list[str]:
    """Statements assigning Unicode ``text`` to ``target`` in a project whose code page is 1252:
    ASCII runs stay literals, other characters become ``ChrW(n)``; ``{version}`` is XLWINGS_VERSION."""
    pieces: list[str] = []
    for i, part in enumerate(text.split("{version}")):
        if i:
            pieces.append("XLWINGS_VERSION")
        for run in re.findall(r"[\x20-\x7e]+|[^\x20-\x7e]", part):
            if run == "\n":
                pieces.append("vbLf")
            elif run.isascii() and run.isprintable():
                pieces.append('"' + run.replace('"', '""') + '"')
            else:
                pieces.append(f"ChrW({ord(run)})")
    lines = [f'{indent}{target} = ""']
    for start in range(0, len(pieces), 12):
        lines.append(f"{indent}{target} = {target} & " + " & ".join(pieces[start:start + 12]))
    return lines


#: Module-level state of those functions (VBA wants declarations before the first procedure).
PROBLEM_DECLARATIONS = "Private XlwingsWarned As Boolean  ' the functions' message box was shown this session\n"


def problem_functions_text() -> str:
    """The two VBA functions (LF lines, ASCII), appended to the ``Lianxing`` module."""
    windows = "\n".join(vba_text(WINDOWS_FUNCTIONS_TEXT, "                ", "s"))
    mac = "\n".join(vba_text(MAC_RUNPYTHON_TEXT, "    ", "s"))
    return (
        "\n"
        f"Public Function {CELL_PROBLEM_VBA}(ByVal Number As Long, ByVal Description As String) As Variant\n"
        "    ' What a KOL_ function returns when it could not run (called by the xlwings_udfs wrappers).\n"
        "    Dim s As String\n"
        "    #If Mac Then\n"
        f"        {CELL_PROBLEM_VBA} = CVErr(xlErrNA)  ' no functions on a Mac: the cell keeps the last refresh\n"
        "    #Else\n"
        "        If Number = 48 Or Number = 53 Or InStr(1, Description, \".dll\", vbTextCompare) > 0 _\n"
        f"           Or InStr(1, Description, \"{PYTHON_PROBLEM_MARK}\", vbTextCompare) > 0 Then\n"
        "            If Not XlwingsWarned Then\n"
        "                XlwingsWarned = True\n"
        f"{windows}\n"
        '                MsgBox s, vbExclamation, "Lianxing"\n'
        "            End If\n"
        f"            {CELL_PROBLEM_VBA} = CVErr(xlErrNA)\n"
        "        Else\n"
        f"            {CELL_PROBLEM_VBA} = Description\n"
        "        End If\n"
        "    #End If\n"
        "End Function\n"
        "\n"
        f"Public Function {MAC_RUNPYTHON_HELP_VBA}() As String\n"
        "    ' Shown by the xlwings module on a Mac when Excel cannot run xlwings' AppleScript.\n"
        "    Dim s As String\n"
        f"{mac}\n"
        f"    {MAC_RUNPYTHON_HELP_VBA} = s\n"
        "End Function\n"
    )
