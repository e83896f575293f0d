"""The guide sheet (使用说明 How to use) and the xlwings.conf sheet.

The guide is what a new team member reads first: what each sheet is for (from the schema's
help texts, so it never drifts from the workbook), what each score means and how it is computed,
what works on which computer (classic xlwings has no functions on a Mac; without Python the
cells keep the last refresh's values), the xlwings Lite route (nothing installed but the add-in),
the set-up steps a person really needs (including
unblocking a downloaded file) and nothing they don't, and how to connect the shared Google Sheet.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .formats import Formats
from ..core.schema import Schema
from ..core.text_width import wrap
from .vba import REFRESH_MACRO, UDF_MODULE
from ..core.xlwings_version import REQUIRED, pip_command

GUIDE_SHEET = "使用说明 How to use"
CONF_SHEET = "xlwings.conf"

#: (zh, en) paragraphs per score: what it means and how it is computed.
SCORE_TEXT: tuple[tuple[str, str, str], ...] = (
    ("响应速度 Responsiveness  =KOL_RESPONSE_SCORE()",
     "回复率和回复用时：24 小时内回复为达标（设置：回复时效目标）。",
     "Reply rate and hours to first reply; a reply within the target hours (Settings) counts as responsive."),
    ("内容质量 Content quality  =KOL_CONTENT_SCORE()",
     "评审表中画面、脚本、品牌契合三项 1-5 分的平均，换算为 0-100。",
     "Average of the reviewers' 1-5 marks for visuals, script and brand fit, scaled to 0-100."),
    ("合规 Compliance  =KOL_COMPLIANCE()",
     "缺少广告标识（#ad）、虚假宣传、平台违规都会扣分；任一违规在评审表中标红。",
     "Points are lost for a missing ad disclosure (#ad), false claims and platform violations; violations show red."),
    ("效果表现 Performance  =KOL_PERFORMANCE()",
     "播放、互动率、订单、ROAS 与合作的 KPI 目标（或设置中的默认目标）相比。",
     "Views, engagement rate, orders and ROAS against each collaboration's KPI targets (or the Settings defaults)."),
    ("粉丝真实性 Audience authenticity  =KOL_AUTHENTICITY()",
     "假粉率、互动率是否远低于/远高于同平台同粉丝段的基准（设置表中的互动率基准），以及粉丝突增。",
     "Fake-follower rate, engagement far below or above the platform/follower-band benchmark (Settings), follower "
     "jumps."),
    ("受众匹配 Audience fit  =KOL_FIT()",
     "达人的市场、语言、品类是否在目标范围内，以及目标市场受众占比。",
     "Whether the creator's market, language and category are targets, and the audience share in the target market."),
    ("总分 Score  =KOL_SCORE()",
     "六个维度按设置表中的权重加权平均（缺失的维度不计入，权重按比例换算）。粉丝数本身从不决定分数。",
     "Weighted average of the six subscores with the Settings weights (missing dimensions are left out and the "
     "weights renormalised). Follower count alone never decides a score."),
    ("等级 Tier  =KOL_TIER()",
     "按设置中的分数线分为 S/A/B/C；黑名单达人一律为 C；数据完整度不足时不评级。",
     "S/A/B/C from the Settings cut-offs; a blacklisted creator is always C; too little data gives no tier."),
    ("ROI / ROAS / CPM / CPE / CPA  =KOL_ROI() ...",
     "ROAS = 成交额 ÷ 总成本；ROI = (成交额 × 毛利率 − 总成本) ÷ 总成本；CPM = 总成本 ÷ 播放 × 1000；"
     "CPE = 总成本 ÷ 互动数；CPA = 总成本 ÷ 订单。金额按汇率表换算为本位币。",
     "ROAS = GMV / total cost; ROI = (GMV x gross margin - cost) / cost; CPM = cost / views x 1000; "
     "CPE = cost / engagements; CPA = cost / orders. Money is converted to the base currency with the FX table."),
    ("互动率 ER  =KOL_ER()",
     "(点赞 + 评论 + 分享 + 收藏) ÷ 播放。经验值：≥ 3% 为好。",
     "(likes + comments + shares + saves) / views. Rule of thumb: 3% or more is good."),
)

#: (where, zh, en): what works on each kind of computer a team really has.
PLATFORM_TEXT: tuple[tuple[str, str, str], ...] = (
    ("Windows 桌面版 Excel + Python\nWindows desktop with Python",
     f"Python 函数（KOL_SCORE 等）和“刷新数据”按钮都可用（开源 xlwings {REQUIRED}）。按下面的步骤设置一次。",
     f"The Python functions (KOL_SCORE ...) and the Refresh metrics button both work (open-source xlwings "
     f"{REQUIRED}). Set up once with the steps below."),
    ("Mac 桌面版 Excel + Python\nMac desktop with Python",
     "只有“刷新数据”按钮可用：经典 xlwings 在 macOS 上没有 Python 函数。函数单元格显示上次刷新的值和 Excel "
     "原生公式的结果。",
     "Only the Refresh metrics button works: classic xlwings has no Python functions on macOS. Function cells show "
     "the values of the last refresh and the results of native Excel formulas."),
    ("Excel 网页版，或没有 Python 的 Mac / Windows\nExcel on the web, Mac or Windows without Python",
     "xlwings Lite：免费的 Office 加载项（需要 Microsoft 365 或 Excel 2021 及以上），Python "
     "在加载项里运行，电脑上不用装 Python。做法见下方 xlwings Lite 一节。",
     "xlwings Lite: a free Office add-in (Microsoft 365 or Excel 2021 and later) that runs Python inside the add-in, "
     "so nothing is installed on the computer. See the xlwings Lite section below."),
    ("完全没有 Python\nNo Python at all",
     "宏被阻止、旧版 Excel、WPS、LibreOffice：单元格显示上次刷新的值和原生公式的结果。在有 Python "
     "的电脑上按“刷新数据”，"
     "或用 lianxing refresh 命令（例如每晚一次）更新它们。",
     "Macros blocked, older Excel, WPS, LibreOffice: cells show the values of the last refresh and the results of "
     "native formulas. Update them with the Refresh metrics button on a computer with Python, or with the "
     "`lianxing refresh` command (for example nightly)."),
)

SETUP_TEXT: tuple[tuple[str, str], ...] = (
    ("1. 安装 Python 和本项目（只需一次）", "1. Install Python and this project (once)"),
    ("Windows：从 python.org 安装 Python 3.11 或更新版本，勾选 “Add python.exe to PATH”。Mac：用 python.org 的安装包或 "
     "Homebrew。",
     "Windows: install Python 3.11+ from python.org and tick \"Add python.exe to PATH\". Mac: use the python.org "
     "installer or Homebrew."),
    (f"在项目文件夹的命令行中运行 pip install -e .：它会安装 xlwings {REQUIRED}（必须是这个版本，工作簿里的 VBA "
     "属于它）、"
     "pandas 等依赖。Mac 还要运行一次 xlwings runpython install（让 Excel 能启动 Python）。",
     f"In a terminal in the project folder run pip install -e . : it installs xlwings {REQUIRED} (exactly this "
     "version: the workbook's VBA belongs to it), pandas and the rest. On a Mac also run xlwings runpython install "
     "once (it lets Excel start Python)."),
    ("工作簿已自带 xlwings 的 VBA 模块和函数包装：不需要 xlwings addin install，不需要“导入函数”，也不需要勾选“信任对 "
     "VBA "
     "工程对象模型的访问”。",
     "The workbook already carries xlwings' VBA module and the function wrappers: no xlwings addin install, no "
     "\"Import Functions\", no \"Trust access to the VBA project object model\"."),
    ("2. 解除锁定并启用宏", "2. Unblock the file and enable macros"),
    ("从网页、邮件或聊天工具（微信、钉钉、Teams 等）下载的文件，Microsoft 365 会阻止其中的宏（红色“安全风险”提示条）。"
     "关闭文件，在资源管理器中右键单击文件 > 属性 > 常规，勾选“解除锁定”，确定，再打开。",
     "Microsoft 365 blocks the macros of a file downloaded from the web, e-mail or a chat (WeChat, DingTalk, Teams "
     "...): "
     "a red SECURITY RISK bar. Close the file, right-click it in File Explorer > Properties > General, tick Unblock, "
     "OK, and open it again."),
    ("打开后点击黄色提示条上的“启用内容”。Mac：打开时选择“启用宏”。",
     "Then click Enable Content on the yellow bar. Mac: choose Enable Macros when Excel asks."),
    ("3. 指定 Python（仅在需要时）", "3. Point to Python (only when needed)"),
    (f"Windows：如果 PATH 中的 python 就是装了本项目的那个，什么都不用做。否则在 “{CONF_SHEET}” 表的 A2 写 "
     "Interpreter_Win，"
     "B2 写 pythonw.exe 的完整路径（命令行运行 where pythonw 可查）。",
     f"Windows: nothing to do when the python on the PATH is the one you installed into. Otherwise, on the "
     f"\"{CONF_SHEET}\" sheet put Interpreter_Win in A2 and the full path of pythonw.exe in B2 (where pythonw shows "
     "it)."),
    (f"Mac（通常需要）：在 “{CONF_SHEET}” 表的 A2 写 Interpreter_Mac，B2 写 python3 的完整路径（终端运行 which "
     "python3 可查）。"
     "也可以写进自己的 xlwings.conf 配置文件，对所有工作簿生效。",
     f"Mac (usually needed): on the \"{CONF_SHEET}\" sheet put Interpreter_Mac in A2 and the full path of python3 in "
     "B2 "
     "(which python3 shows it). Your own xlwings.conf file works too, for every workbook."),
    ("4. 提示 xlwings 版本不符时", "4. When Excel says the xlwings version differs"),
    (f"按钮或函数会弹出提示，说明需要的版本。运行提示中的命令 {pip_command()}，然后重新打开 Excel；Mac 再运行一次 "
     "xlwings runpython install。在此之前，函数单元格显示上次刷新的值。",
     f"The button or the functions show a message naming the version needed. Run the command it names, "
     f"{pip_command()}, then restart Excel; on a Mac run xlwings runpython install again. Until then the function "
     "cells show the values of the last refresh."),
    ("5. 连接共享 Google 表格（可选）", "5. Connect the shared Google Sheet (optional)"),
    ("在设置表中填写 google_sheet_key（共享表网址中 /d/ 与 /edit 之间的 ID）和 google_credentials（本机上服务账号密钥 "
     "JSON 文件的路径），并把 archive_backend "
     "改为 google。",
     "On the Settings sheet fill in google_sheet_key (the id between /d/ and /edit in the sheet's URL) and "
     "google_credentials (the path of a service-account key JSON file on this computer), and set archive_backend to "
     "google."),
    ("在 Google 表格中点“共享”，把表格共享给服务账号的邮箱（密钥文件中的 client_email，形如 "
     "name@project.iam.gserviceaccount.com），权限为编辑者。",
     "In Google Sheets click Share and share the sheet, as Editor, with the service account's e-mail "
     "(client_email in the key file, like name@project.iam.gserviceaccount.com)."),
    ("凭据文件永远不要放进工作簿或共享表。没有配置 Google 表格时，档案库保存在工作簿旁的本地文件中。",
     "Never put the credentials file into the workbook or the shared sheet. Without a Google Sheet the archive is a "
     "local file beside the workbook."),
    ("6. 刷新数据", "6. Refresh metrics"),
    ("点击看板上的 “刷新数据 Refresh metrics” 按钮（宏 "
     f"{REFRESH_MACRO}）：读取导出文件夹中的平台/店铺导出文件，重新计算，同步档案库，并在状态单元格中写明结果。没有 "
     "Excel "
     "时可在命令行运行同样的任务。",
     f"Click the \"刷新数据 Refresh metrics\" button on the dashboard (macro {REFRESH_MACRO}): it reads the platform "
     "and "
     "shop exports in the export folder, recomputes, syncs the archive and writes what it did into the status cell. "
     "Without Excel the same job runs from the `lianxing` command."),
)

#: (zh, en) the xlwings Lite route: the functions and the refresh with nothing installed but the add-in.
LITE_TEXT: tuple[tuple[str, str], ...] = (
    ("需要 Microsoft 365 或 Excel 2021 及以上（Windows、Mac 或 Excel 网页版）。"
     "Excel 2019 及更早版本不行。",
     "Needs Microsoft 365 or Excel 2021 and later (Windows, Mac or Excel on the web); not Excel 2019 or older."),
    ("1. 安装加载项（一次）：开始 › 加载项，搜索 xlwings Lite，点“添加”。免费，不用注册。",
     "1. Install the add-in (once): Home > Add-ins, search for xlwings Lite, click Add. Free, no sign-up."),
    ("2. 打开本工作簿：xlwings Lite 窗格随工作簿打开（没有时点“开始”选项卡右端的 xlwings Lite 按钮）。"
     "代码已在工作簿里，不要改 main.py。",
     "2. Open this workbook: the xlwings Lite pane opens with it (if not, click the xlwings Lite button at the right "
     "end of the Home tab). The code is already inside the workbook; leave main.py as it is."),
    ("3. 信任一次：第一次打开时按窗格的提示信任本工作簿的代码，等它安装好依赖。"
     "之后 KOL_SCORE 等函数直接可用，计算时单元格短暂显示 #BUSY!；若显示 #NAME?，按 Ctrl+Alt+F9 全部重算。",
     "3. Trust it once: the first time, trust this workbook's code when the pane asks and let it install its "
     "packages. The KOL_SCORE ... functions then work; cells show #BUSY! for a moment while they compute "
     "(#NAME?: press Ctrl+Alt+F9 to recalculate everything)."),
    ("4. 放入导出文件：xlwings Lite 菜单 › Files › Import/Export，"
     "把平台/店铺导出文件（或整个 exports 文件夹）拖进去；它们在 /data 中。",
     "4. Drop the exports: xlwings Lite menu > Files > Import/Export, drag the platform and shop export files (or the "
     "whole exports folder) onto it; they land in /data."),
    ("5. 刷新：在窗格中选脚本 refresh_metrics，点 Run（或按 F5）。"
     "结果和状态行写入工作簿，与经典按钮相同；保存工作簿以保留结果。",
     "5. Press Run: pick the refresh_metrics script in the pane and click Run (or press F5). It writes the results and "
     "the status line as the classic button does; save the workbook to keep them."),
    ("只在经典版中：档案库同步（Google 表格或本地档案库）请用有 Python 的电脑上的“刷新数据”按钮"
     "或 lianxing sync，凭据永远不放进工作簿；看板上的按钮是 VBA 宏，Lite 中用窗格的 Run。",
     "Classic only: the archive sync (Google Sheet or local archive) runs from the Refresh metrics button on a "
     "computer with Python, or `lianxing sync`; credentials never go into the workbook. The dashboard button is a "
     "VBA macro: in Lite use the pane's Run."),
)

GUIDE_WIDTHS = (34, 70, 70)


def _row_height(*texts: str) -> float:
    """Points for a wrapped row: the longest of its cells, wrapped to its column's width."""
    lines = max(len(wrap(text, width - 2).split("\n")) for text, width in zip(texts, GUIDE_WIDTHS))
    return 15.0 * lines + 3


def _rows(ws: Worksheet, r: int, rows: Iterable[tuple[str, str, str]], formats: tuple[Format, Format],
          height: Callable[[str, str, str], float] | None) -> int:
    """(first column, zh, en) rows from row ``r``, the first column bold (left empty when empty);
    ``height`` gives each row's points from its texts (None: the default height). Returns the row
    after the blank row that closes the section."""
    bold_wrap, wrap_fmt = formats
    for first, zh, en in rows:
        if first:
            ws.write_string(r, 0, first, bold_wrap)
        ws.write_string(r, 1, zh, wrap_fmt)
        ws.write_string(r, 2, en, wrap_fmt)
        if height is not None:
            ws.set_row(r, height(first, zh, en))
        r += 1
    return r + 1


def build_guide_sheet(ws: Worksheet, fmt: Formats, schema: Schema, sheet_names: list[tuple[str, str, str]]) -> None:
    """``sheet_names``: (tab name, zh purpose, en purpose) for every visible sheet, in order."""
    for col, width in enumerate(GUIDE_WIDTHS):
        ws.set_column(col, col, width)
    wrap_fmt = fmt.wrap()
    bold_wrap = fmt.wrap(bold=True)
    ws.write_string(0, 0, "使用说明 How to use", fmt.title())
    ws.write_string(1, 0, "联星达人评估工作簿 Lianxing creator evaluation workbook", fmt.subtitle())
    ws.set_row(0, 26)
    ws.write_string(3, 0, "工作表 Sheets", fmt.subtitle())
    r = _rows(ws, 4, sheet_names, (bold_wrap, wrap_fmt), None)
    ws.write_string(r, 0, "评分说明 What each score means", fmt.subtitle())
    r += 1
    ws.write_string(r, 0, "每个维度 0-100 分。公式中的参数（权重、分数线、目标）来自设置表中的命名区域，"
                          "修改后自动重新计算。", wrap_fmt)
    ws.write_string(r, 1, "Each dimension scores 0-100. The formulas' parameters (weights, cut-offs, targets) come "
                          "from named ranges on the Settings sheet and recalculate when edited.", wrap_fmt)
    ws.set_row(r, 30)
    r = _rows(ws, r + 1, SCORE_TEXT, (bold_wrap, wrap_fmt), lambda *_: 42)
    ws.write_string(r, 0, "在哪里能用 Where it works", fmt.subtitle())
    r = _rows(ws, r + 1, PLATFORM_TEXT, (bold_wrap, wrap_fmt), _row_height)
    ws.write_string(r, 0, "xlwings Lite（不用安装 Python） xlwings Lite: no Python to install", fmt.subtitle())
    r = _rows(ws, r + 1, [("", zh, en) for zh, en in LITE_TEXT], (bold_wrap, wrap_fmt), _row_height)
    ws.write_string(r, 0, "安装与设置（Windows / Mac） Setup", fmt.subtitle())
    r += 1
    for zh, en in SETUP_TEXT:
        heading = zh[:2].rstrip(".").isdigit()
        ws.write_string(r, 0 if heading else 1, zh, bold_wrap if heading else wrap_fmt)
        ws.write_string(r, 1 if heading else 2, en, bold_wrap if heading else wrap_fmt)
        if not heading:
            ws.set_row(r, _row_height("", zh, en))
        r += 1
    ws.hide_gridlines(2)


#: The settings the workbook itself needs on its xlwings.conf sheet. xlwings reads the sheet from A1
#: down to the first empty cell and a key found there wins over the person's own xlwings.conf file,
#: so nothing else is set here: an empty Interpreter_Win or Conda row would override their
#: interpreter with nothing.
CONF_ROWS: tuple[tuple[str, str], ...] = (
    ("UDF Modules", UDF_MODULE),
)
#: Where the notes start: below room for the keys a person may add (interpreter, PYTHONPATH, Conda).
CONF_NOTES_ROW = 9


def build_conf_sheet(ws: Worksheet, fmt: Formats) -> None:
    for r, (key, value) in enumerate(CONF_ROWS):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    notes = (
        "xlwings 设置（开源 xlwings，不需要 PRO 许可）。xlwings settings (open-source xlwings; no PRO licence needed).",
        f"UDF Modules：KOL_* 函数所在的 Python 模块（{UDF_MODULE}），不要改。"
        "The Python module with the KOL_* functions; keep it.",
        "需要时在下一行添加自己的设置，每行一个、不留空行，例如 A2 = Interpreter_Win，B2 = pythonw.exe "
        "的完整路径（Mac：Interpreter_Mac）。",
        "Add your own settings on the next rows when needed, one per row with no empty row between them, e.g. "
        "A2 = Interpreter_Win, B2 = the full path of pythonw.exe (Mac: Interpreter_Mac).",
        "这里没有的设置取自你自己的 xlwings.conf "
        "文件（Windows：%USERPROFILE%\\.xlwings\\xlwings.conf）；这里写的设置优先于它。",
        "Settings not on this sheet come from your own xlwings.conf file (Windows: "
        "%USERPROFILE%\\.xlwings\\xlwings.conf); "
        "a key on this sheet wins over it.",
        "设置与这些说明之间至少留一个空行。Keep at least one empty row between the settings and these notes.",
    )
    for i, text in enumerate(notes):
        ws.write_string(CONF_NOTES_ROW + i, 0, text, fmt.get(italic=True, font_color="#595959"))
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 40)
