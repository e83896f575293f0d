"""Charts for the monthly report, drawn with matplotlib (headless Agg backend).

Chinese labels need a CJK font. :func:`cjk_font` looks for one that is usually installed (Noto Sans
CJK on Linux — Debian ``fonts-noto-cjk``; Microsoft YaHei / SimHei on Windows; PingFang on macOS);
without one the charts still render, with a warning, and Chinese shows as boxes.
Each chart function returns a matplotlib Figure so the same figure can go into the HTML (as SVG,
fonts turned into paths so the file needs no font) and into the PDF.
"""
from __future__ import annotations

from typing import cast

import base64
import contextlib
import glob
import io
import os
import warnings
from functools import cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
)
TIER_COLOURS = {"S": "#1b7f3b", "A": "#4caf50", "B": "#f2b233", "C": "#d9534f", "未评级 Unrated": "#9e9e9e"}
SPEND = "#5b7db1"
GMV = "#e08a3c"


#: Where the CJK font files usually are (Debian/Ubuntu fonts-noto-cjk, other Linux layouts, Windows,
#: macOS); the first that exist are registered with matplotlib by :func:`register_cjk_fonts`.
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-*.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-*.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-*.ttc",
    "/Library/Fonts/NotoSansCJK*.otf",
    os.path.join(os.environ.get("WINDIR", "C:/Windows"), "Fonts", "msyh.ttc"),
)


def register_cjk_fonts() -> list[str]:
    """Adds the CJK font files found at :data:`CJK_FONT_FILES` to matplotlib's font manager.

    Why: matplotlib only knows the fonts in its cache, and a cache built before the CJK font was
    installed (a CI image, a laptop that installed the font later) has none, so Chinese would render
    as boxes. Registering the file itself makes the charts and the PDF independent of that cache.
    """
    added = []
    for pattern in CJK_FONT_FILES:
        for path in sorted(glob.glob(pattern)):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # unreadable font file: the cache may still know another
            added.append(path)
    return added


register_cjk_fonts()


class MissingCJKFontWarning(UserWarning):
    """No CJK font found: Chinese labels will not render."""


@cache
def cjk_font() -> str | None:
    """The first installed CJK font family from :data:`CJK_FONTS`, else None (with a warning)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    warnings.warn(
        "no CJK font found (install fonts-noto-cjk on Linux); Chinese text in charts will not render",
        MissingCJKFontWarning,
        stacklevel=2,
    )
    return None


def style() -> dict:
    """rcParams for every report chart."""
    font = cjk_font()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": ([font] if font else []) + ["DejaVu Sans"],
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 11,
        "font.size": 9,
        "svg.fonttype": "path",
    }


def new_figure(width: float = 6.4, height: float = 3.2, ax: plt.Axes | None = None) -> tuple[Figure, plt.Axes]:
    """A standalone figure, or the figure of ``ax`` when a PDF page passes its own axes."""
    if ax is not None:
        return cast(Figure, ax.figure), ax
    with plt.rc_context(style()):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


@contextlib.contextmanager
def quiet_glyphs():
    """Without a CJK font every Chinese character would warn once per glyph; :func:`cjk_font`
    already warned once, which is the useful part."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        yield


def svg_data_uri(fig: Figure) -> str:
    """The figure as a base64 ``data:image/svg+xml`` URI (self-contained: text drawn as paths)."""
    buf = io.BytesIO()
    with plt.rc_context(style()), quiet_glyphs():
        fig.savefig(buf, format="svg")
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _empty(ax: plt.Axes, text: str = "本月无数据 No data this month") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def tier_chart(mix: pd.Series, ax: plt.Axes | None = None) -> Figure:
    with plt.rc_context(style()):
        fig, ax = new_figure(5.0, 2.8, ax=ax)
        colours = [TIER_COLOURS.get(t, "#888") for t in mix.index]
        bars = ax.bar(list(mix.index), mix.to_numpy(), color=colours)
        ax.bar_label(bars, padding=2)
        ax.set_title("等级分布 Tier distribution")
        ax.set_ylabel("达人数 Creators")
        ax.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # a MaxNLocator
    return fig


def funnel_chart(funnel: pd.DataFrame, ax: plt.Axes | None = None) -> Figure:
    """``funnel``: columns stage label, reached (``metrics.funnel`` output with labels)."""
    with plt.rc_context(style()):
        fig, ax = new_figure(6.0, 3.0, ax=ax)
        if funnel.empty or funnel["reached"].sum() == 0:
            _empty(ax)
        else:
            y = np.arange(len(funnel))[::-1]
            bars = ax.barh(y, funnel["reached"], color="#5b7db1")
            ax.set_yticks(y, funnel["label"])
            first = funnel["reached"].iloc[0] or 1
            ax.bar_label(bars, labels=[f"{int(v)} ({v / first:.0%})" for v in funnel["reached"]], padding=3)
            ax.set_xlabel("联系数 Contacts")
            ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # a MaxNLocator
        ax.set_title("建联漏斗 Outreach funnel")
    return fig


def spend_gmv_chart(by_market: pd.DataFrame, currency: str, ax: plt.Axes | None = None) -> Figure:
    """``by_market``: columns market, spend, gmv (base currency)."""
    with plt.rc_context(style()):
        fig, ax = new_figure(6.4, 3.0, ax=ax)
        if by_market.empty:
            _empty(ax)
        else:
            x = np.arange(len(by_market))
            w = 0.38
            ax.bar(x - w / 2, by_market["spend"], w, label="花费 Spend", color=SPEND)
            ax.bar(x + w / 2, by_market["gmv"], w, label="成交额 GMV", color=GMV)
            ax.set_xticks(x, by_market["market"])
            ax.set_ylabel(currency)
            ax.legend(frameon=False)
            ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        ax.set_title(f"各市场花费与成交额 Spend vs GMV by market ({currency})")
    return fig


def roi_chart(ranked: pd.DataFrame, ax: plt.Axes | None = None) -> Figure:
    """``ranked``: columns creator_key, roi (fractions), best first."""
    with plt.rc_context(style()):
        fig, ax = new_figure(6.4, max(2.4, 0.32 * len(ranked) + 0.8), ax=ax)
        if ranked.empty:
            _empty(ax)
        else:
            y = np.arange(len(ranked))[::-1]
            colours = ["#1b7f3b" if v >= 0 else "#d9534f" for v in ranked["roi"]]
            bars = ax.barh(y, ranked["roi"] * 100, color=colours)
            ax.set_yticks(y, ranked["creator_key"])
            ax.bar_label(bars, labels=[f"{v:.0%}" for v in ranked["roi"]], padding=3)
            ax.axvline(0, color="#444", lw=0.8)
            ax.set_xlabel("ROI %")
        ax.set_title("本月达人 ROI Creator ROI this month")
    return fig


def lift_chart(lifts: pd.DataFrame, top: int = 10, ax: plt.Axes | None = None) -> Figure:
    """Horizontal bars of lift with the Wilson-derived range as error bars."""
    with plt.rc_context(style()):
        part = lifts.dropna(subset=["lift"]).head(top)
        fig, ax = new_figure(6.4, max(2.4, 0.3 * len(part) + 0.9), ax=ax)
        if part.empty:
            _empty(ax, "暂无已评级达人 No tiered creators yet")
        else:
            y = np.arange(len(part))[::-1]
            labels = [f"{f.split(' ')[0]}: {v} (n={n})" for f, v, n in zip(part["feature"], part["value"],
                                                                           part["creators"])]
            lo = (part["lift"] - part["lift_low"]).clip(lower=0)
            hi = (part["lift_high"] - part["lift"]).clip(lower=0)
            colours = ["#bbb" if few else "#1b7f3b" for few in part["too_few"]]
            ax.barh(y, part["lift"], xerr=[lo, hi], color=colours, ecolor="#555", capsize=2)
            ax.set_yticks(y, labels)
            ax.axvline(1, color="#444", lw=0.8, ls="--")
            ax.set_xlabel("提升度 Lift (1 = 与整体相同 same as overall)")
        ax.set_title("S/A 达人共性 What S/A creators share")
    return fig
