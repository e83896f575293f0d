"""The guide sheet (使用说明 How to use) and the xlwings.conf sheet.

The guide is what a new team member reads first: what each sheet is for (from the schema's
help texts, so it never drifts from the workbook), what each score means and how it is computed,
how to set up Python and xlwings once, and how to connect the shared Google Sheet.
"""
from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from .formats import Formats
from ..core.schema import Schema
from .vba import REFRESH_MACRO, UDF_MODULE

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
     "Fake-follower rate, engagement far below or above the platform/follower-band benchmark (Settings), follower jumps."),
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

SETUP_TEXT: tuple[tuple[str, str], ...] = (
    ("1. 安装 Python（只需一次）", "1. Install Python (once)"),
    ("Windows：从 python.org 安装 Python 3.11 或更新版本，勾选 “Add python.exe to PATH”。Mac：安装 python.org 的安装包或 Homebrew 的 python。",
     "Windows: install Python 3.11+ from python.org and tick \"Add python.exe to PATH\". Mac: use the python.org installer or Homebrew."),
    ("在命令行运行：pip install lianxing（或在项目文件夹中 pip install -e .），会一并安装 xlwings、pandas 等依赖。",
     "In a terminal run: pip install lianxing (or pip install -e . in the project folder); it installs xlwings, pandas and the rest."),
    ("本工作簿自带 xlwings 的 VBA 模块（standalone），不需要运行 xlwings addin install。",
     "This workbook carries xlwings' VBA module (standalone): `xlwings addin install` is NOT needed."),
    ("2. 允许访问 VBA 项目", "2. Trust access to the VBA project"),
    ("Excel：文件 > 选项 > 信任中心 > 信任中心设置 > 宏设置：启用宏，并勾选 “信任对 VBA 工程对象模型的访问”。Mac：Excel > 偏好设置 > 安全性。",
     "Excel: File > Options > Trust Center > Trust Center Settings > Macro Settings: enable macros and tick "
     "\"Trust access to the VBA project object model\". Mac: Excel > Preferences > Security."),
    ("3. 设置 Python 路径", "3. Set the Python interpreter"),
    (f"在 “{CONF_SHEET}” 工作表中填写 Interpreter_Win（如 C:\\Users\\你\\AppData\\Local\\Programs\\Python\\Python311\\pythonw.exe）或 Interpreter_Mac（如 /usr/local/bin/python3）。留空时使用 PATH 中的 pythonw。",
     f"On the \"{CONF_SHEET}\" sheet fill in Interpreter_Win (e.g. C:\\Users\\you\\AppData\\Local\\Programs\\Python\\Python311\\pythonw.exe) "
     "or Interpreter_Mac (e.g. /usr/local/bin/python3). Left empty, pythonw on the PATH is used."),
    (f"UDF Modules 已设为 {UDF_MODULE}：KOL_SCORE 等函数就来自这个 Python 模块。",
     f"UDF Modules is set to {UDF_MODULE}: the KOL_SCORE family of functions comes from that Python module."),
    ("4. 连接共享 Google 表格（可选）", "4. Connect the shared Google Sheet (optional)"),
    ("在设置表中填写 google_sheet_key（共享表网址中 /d/ 与 /edit 之间的 ID）和 google_credentials（本机上服务账号密钥 JSON 文件的路径），并把 archive_backend 改为 google。",
     "On the Settings sheet fill in google_sheet_key (the id between /d/ and /edit in the sheet's URL) and "
     "google_credentials (the path of a service-account key JSON file on this computer), and set archive_backend to google."),
    ("在 Google 表格中点“共享”，把表格共享给服务账号的邮箱（密钥文件中的 client_email，形如 name@project.iam.gserviceaccount.com），权限为编辑者。",
     "In Google Sheets click Share and share the sheet, as Editor, with the service account's e-mail "
     "(client_email in the key file, like name@project.iam.gserviceaccount.com)."),
    ("凭据文件永远不要放进工作簿或共享表。没有配置 Google 表格时，档案库保存在工作簿旁的本地文件中。",
     "Never put the credentials file into the workbook or the shared sheet. Without a Google Sheet the archive is a "
     "local file beside the workbook."),
    ("5. 刷新数据", "5. Refresh metrics"),
    (f"点击看板上的 “刷新数据 Refresh metrics” 按钮（宏 {REFRESH_MACRO}）：读取导出文件夹中的平台/店铺导出文件，重新计算，同步档案库，并在状态单元格中写明结果。没有 Excel 时可在命令行运行同样的任务。",
     f"Click the \"刷新数据 Refresh metrics\" button on the dashboard (macro {REFRESH_MACRO}): it reads the platform and "
     "shop exports in the export folder, recomputes, syncs the archive and writes what it did into the status cell. "
     "Without Excel the same job runs from the `lianxing` command."),
)


def build_guide_sheet(ws: Worksheet, fmt: Formats, schema: Schema, sheet_names: list[tuple[str, str, str]]) -> None:
    """``sheet_names``: (tab name, zh purpose, en purpose) for every visible sheet, in order."""
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 70)
    wrap = fmt.wrap()
    bold_wrap = fmt.wrap(bold=True)
    ws.write_string(0, 0, "使用说明 How to use", fmt.title())
    ws.write_string(1, 0, "联星达人评估工作簿 Lianxing creator evaluation workbook", fmt.subtitle())
    ws.set_row(0, 26)
    r = 3
    ws.write_string(r, 0, "工作表 Sheets", fmt.subtitle())
    r += 1
    for name, zh, en in sheet_names:
        ws.write_string(r, 0, name, bold_wrap)
        ws.write_string(r, 1, zh, wrap)
        ws.write_string(r, 2, en, wrap)
        r += 1
    r += 1
    ws.write_string(r, 0, "评分说明 What each score means", fmt.subtitle())
    r += 1
    ws.write_string(r, 0, "每个维度 0-100 分。公式中的参数（权重、分数线、目标）来自设置表中的命名区域，修改后自动重新计算。",
                    wrap)
    ws.write_string(r, 1, "Each dimension scores 0-100. The formulas' parameters (weights, cut-offs, targets) come from "
                          "named ranges on the Settings sheet and recalculate when edited.", wrap)
    ws.set_row(r, 30)
    r += 1
    for title, zh, en in SCORE_TEXT:
        ws.write_string(r, 0, title, bold_wrap)
        ws.write_string(r, 1, zh, wrap)
        ws.write_string(r, 2, en, wrap)
        ws.set_row(r, 42)
        r += 1
    r += 1
    ws.write_string(r, 0, "安装与设置（Windows / Mac） Setup", fmt.subtitle())
    r += 1
    for zh, en in SETUP_TEXT:
        heading = zh[:2].rstrip(".").isdigit()
        ws.write_string(r, 0 if heading else 1, zh, bold_wrap if heading else wrap)
        ws.write_string(r, 1 if heading else 2, en, bold_wrap if heading else wrap)
        if not heading:
            ws.set_row(r, 44)
        r += 1
    ws.hide_gridlines(2)


#: key, value, note: the keys xlwings' standalone module reads (GetConfigFromSheet reads A1 down to
#: the first empty cell, so the notes sit below a blank row).
CONF_ROWS: tuple[tuple[str, object], ...] = (
    ("Interpreter_Win", ""),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("UDF Modules", UDF_MODULE),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
)


def build_conf_sheet(ws: Worksheet, fmt: Formats) -> None:
    for r, (key, value) in enumerate(CONF_ROWS):
        ws.write_string(r, 0, key)
        if isinstance(value, bool):
            ws.write_boolean(r, 1, value)
        elif value:
            ws.write_string(r, 1, str(value))
    r = len(CONF_ROWS) + 2
    notes = (
        "xlwings 设置 xlwings settings (open-source xlwings; no PRO licence needed).",
        "Interpreter_Win / Interpreter_Mac：Python 解释器的完整路径；留空则使用 PATH 中的 python。",
        "Interpreter_Win / Interpreter_Mac: full path of the Python interpreter; empty uses the one on the PATH.",
        f"UDF Modules：KOL_* 函数所在的 Python 模块（{UDF_MODULE}）。The Python module with the KOL_* functions.",
        "第一列的键必须从 A1 开始连续排列。Keys must start in A1 with no empty row between them.",
    )
    for i, text in enumerate(notes):
        ws.write_string(r + i, 0, text, fmt.get(italic=True, font_color="#595959"))
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 40)
