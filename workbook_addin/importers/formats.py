"""The export formats the importers know, as data: which header names mean which field.

Platforms rename columns between export versions (Instagram's "Impressions" became "Views" in
2025) and translate them (a Chinese TikTok Shop back-end says 视频播放量 and 成交金额, a German
Shopify admin says Zwischensumme). Each format lists, per field, every header it has been seen
with, in priority order (the first one present wins). Adding a renamed column is one string here;
adding a format nobody coded is a few rows in the Settings sheet's import map (:mod:`.generic`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

#: The fields an importer can fill, with how cells are read. Metric names equal the
#: collaborations sheet's column keys (templates/schema.toml); the rest help matching.
FIELD_TYPES: dict[str, str] = {
    "post_url": "text", "video_id": "id", "handle": "text", "title": "text", "platform": "text",
    "published_at": "datetime", "promo_code": "text", "utm_campaign": "text",
    "views": "integer", "likes": "integer", "comments": "integer", "shares": "integer",
    "saves": "integer", "clicks": "integer", "orders": "integer", "gmv": "money",
    "gmv_currency": "text", "followers": "integer",
    # shop orders
    "order_id": "text", "financial_status": "text", "cancelled_at": "datetime", "subtotal": "money",
    "total": "money", "refunded": "money", "landing_site": "text", "note_attributes": "text",
}
#: First cells that mark a summary row rather than a post ("Total" in YouTube Studio, 合计 ...).
TOTAL_LABELS = frozenset({"total", "totals", "gesamt", "summe", "insgesamt", "总计", "合计", "汇总", "總計", "合計",
                          "grand total", "lifetime total"})
#: every Latin label holds one of these: text of plain ASCII holding none of them cannot be a label
_TOTAL_WORDS = ("total", "gesamt", "summe")


def is_total_label(text: str) -> bool:
    """``norm_header(text) in TOTAL_LABELS``, with ASCII text (order numbers, links) settled by a
    substring test: summary rows are looked for in every row of a 200 000-row export."""
    if text.isascii():
        lower = text.lower()
        if not any(word in lower for word in _TOTAL_WORDS):
            return False
    return norm_header(text) in TOTAL_LABELS


def norm_header(text: object) -> str:
    """Header text reduced for comparison: width-folded, case-folded, single spaces, no quotes.

    A trailing currency in brackets is dropped ("GMV (USD)" reads as "gmv");
    :func:`workbook_addin.core.cells.currency_from_header`
    recovers it.
    """
    s = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "").strip().strip('"').strip()
    s = re.sub(r"\s+", " ", s).casefold()
    s = re.sub(r"\s*\(\s*(?:[a-z]{3}|[$€£¥￥]|us\$|rmb)\s*\)$", "", s)
    return s


@dataclass(frozen=True)
class Format:
    """One export layout: a name, the platform it comes from, and header aliases per field."""

    name: str
    label: str
    platform: str | None
    kind: str  # "posts": one row per post, metrics replace; "orders": shop orders, aggregated
    aliases: dict[str, tuple[str, ...]]
    #: groups of fields; a header must contain at least one field of every group to be this format
    required: tuple[tuple[str, ...], ...]
    decimal: str = "."
    date_order: str = "MDY"
    #: generic formats: which match keys their rows may use (empty: all)
    match_by: tuple[str, ...] = ()
    #: headers (normalised) that mark a per-day breakdown of this format, whose rows must not be read as posts
    per_day_headers: frozenset[str] = frozenset()
    normalised: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "normalised", {f: tuple(norm_header(a) for a in al) for f, al in self.aliases.items()})


_TIKTOK_POST = {
    "post_url": ("Video link", "Video URL", "Video Link", "Link", "Post link", "URL", "视频链接", "作品链接",
                 "Videolink"),
    "video_id": ("Video ID", "Item ID", "视频ID", "视频 ID", "作品ID", "Video-ID"),
    "handle": ("Creator username", "Username", "Creator handle", "Creator", "Account", "Handle", "达人用户名",
               "达人账号", "用户名",
               "创作者用户名", "Nutzername"),
    "title": ("Video title", "Video name", "Video description", "Caption", "Title", "视频标题", "视频名称", "作品描述"),
    "published_at": ("Post time", "Posted on", "Publish time", "Video post date", "Video post time", "Date posted",
                     "Create time", "发布时间", "视频发布时间", "Veröffentlicht am"),
    "views": ("Video views", "Total views", "Views", "Play count", "Plays", "视频播放量", "播放量", "播放次数",
              "Videoaufrufe",
              "Aufrufe"),
    "likes": ("Likes", "Total likes", "点赞数", "点赞量", "Gefällt mir"),
    "comments": ("Comments", "Total comments", "评论数", "评论量", "Kommentare"),
    "shares": ("Shares", "Total shares", "分享数", "分享量", "分享次数", "Geteilt"),
    "saves": ("Saves", "Favorites", "Favourites", "Add to Favorites", "收藏数", "收藏量", "收藏次数", "Gespeichert"),
    "followers": ("Followers", "Creator followers", "Follower count", "粉丝数", "达人粉丝数", "Follower"),
}

TIKTOK = Format(
    name="tiktok", label="TikTok 数据分析 TikTok analytics", platform="TikTok", kind="posts",
    aliases=_TIKTOK_POST, required=(("post_url", "video_id"), ("views",)), date_order="YMD",
)

TIKTOK_SHOP = Format(
    name="tiktok_shop", label="TikTok Shop 联盟达人数据 TikTok Shop affiliate performance", platform="TikTok",
    kind="posts",
    aliases={
        **_TIKTOK_POST,
        "orders": ("Affiliate orders", "Attributed orders", "Orders", "SKU orders", "Paid orders", "成交订单数",
                   "订单数",
                   "联盟订单数", "成交件数", "Bestellungen"),
        "gmv": ("Affiliate GMV", "Attributed GMV", "Video GMV", "GMV", "Revenue", "Gross revenue", "成交金额",
                "联盟成交金额",
                "视频成交金额", "GMV(成交金额)", "Umsatz"),
        # subtracted from GMV, so every shop source's GMV is net of refunds (see :func:`gmv_basis`)
        "refunded": ("Affiliate refunded GMV", "Refunded GMV", "Affiliate refund GMV", "联盟退款金额", "退款成交金额",
                     "退款金额",
                     "Erstatteter Umsatz"),
        "gmv_currency": ("Currency", "币种", "货币", "Währung"),
        "clicks": ("Product clicks", "Clicks", "Product link clicks", "商品点击次数", "商品点击量", "商品点击数"),
    },
    required=(("post_url", "video_id", "handle"), ("gmv", "orders")), date_order="YMD",
)

YOUTUBE = Format(
    name="youtube", label="YouTube 数据分析 YouTube Studio content", platform="YouTube", kind="posts",
    aliases={
        "video_id": ("Content", "Video", "Inhalt", "内容", "Contenido", "Contenu", "コンテンツ"),
        "post_url": ("Video URL", "Video link", "视频链接"),
        "title": ("Video title", "Videotitel", "视频标题", "Título del video", "Titre de la vidéo", "動画のタイトル"),
        "published_at": ("Video publish time", "Veröffentlichungszeitpunkt des Videos", "视频发布时间",
                         "Hora de publicación del video", "Heure de publication de la vidéo", "動画公開時刻"),
        "views": ("Views", "Aufrufe", "观看次数", "Vistas", "Vues", "視聴回数"),
        "likes": ("Likes", "„Mag ich“-Bewertungen", "\"Mag ich\"-Bewertungen", "Mag ich-Bewertungen", "顶", "点赞数",
                  "Me gusta", "J'aime", "高評価"),
        "comments": ("Comments added", "Comments", "Hinzugefügte Kommentare", "Kommentare", "添加的评论", "评论数",
                     "追加されたコメント",
                     "コメント"),
        "shares": ("Shares", "Geteilte Inhalte", "分享次数", "分享数", "共有"),
    },
    required=(("video_id",), ("title", "published_at"), ("views",)),
    per_day_headers=frozenset({"date", "datum", "日期", "日付", "fecha"}),  # YouTube's "Chart data.csv"
)

INSTAGRAM = Format(
    name="instagram", label="Instagram / Meta Business Suite 内容数据 content", platform="Instagram", kind="posts",
    aliases={
        "post_url": ("Permalink", "Post link", "永久链接", "帖子链接"),
        "video_id": ("Post ID", "Media ID", "Beitrags-ID", "帖子编号", "帖子 ID", "帖子ID"),
        "handle": ("Account username", "Username", "Konto-Benutzername", "Benutzername", "账户用户名", "账号用户名"),
        "title": ("Description", "Caption", "Beschreibung", "说明", "描述"),
        "published_at": ("Publish time", "Published", "Veröffentlichungszeitpunkt", "发布时间"),
        "views": ("Views", "Plays", "Impressions", "Aufrufe", "Wiedergaben", "Impressionen", "浏览量", "播放量",
                  "展示次数"),
        "likes": ("Likes", "Reactions", "„Gefällt mir“-Angaben", "\"Gefällt mir\"-Angaben", "Gefällt mir", "赞",
                  "点赞数"),
        "comments": ("Comments", "Kommentare", "评论", "评论数"),
        "shares": ("Shares", "Geteilte Inhalte", "Geteilt", "分享", "分享次数"),
        "saves": ("Saves", "Gespeichert", "Gespeicherte Beiträge", "收藏", "收藏次数", "保存"),
    },
    required=(("post_url",), ("video_id",), ("views", "likes")),
)

SHOPIFY = Format(
    name="shopify", label="Shopify 订单导出 Shopify orders", platform=None, kind="orders",
    aliases={
        "order_id": ("Name", "Bestellname", "Bestellnummer", "订单名称", "订单号"),
        "financial_status": ("Financial Status", "Zahlungsstatus", "Finanzstatus", "付款状态", "财务状态"),
        "gmv_currency": ("Currency", "Währung", "币种", "货币"),
        "subtotal": ("Subtotal", "Zwischensumme", "小计"),
        "total": ("Total", "Gesamt", "Gesamtbetrag", "Summe", "总计", "合计"),
        "promo_code": ("Discount Code", "Rabattcode", "折扣码", "优惠码"),
        "published_at": ("Created at", "Erstellt am", "创建时间"),
        "cancelled_at": ("Cancelled at", "Storniert am", "取消时间"),
        "refunded": ("Refunded Amount", "Erstatteter Betrag", "Rückerstatteter Betrag", "退款金额"),
        "note_attributes": ("Note Attributes", "Notizattribute", "Notiz-Attribute", "备注属性"),
        "landing_site": ("Landing Site", "Landing Page", "Landing page URL", "Landing Site Ref", "着陆页"),
        "utm_campaign": ("UTM Campaign", "utm_campaign", "UTM-Kampagne"),
    },
    required=(("order_id",), ("financial_status",), ("total", "subtotal")),
    date_order="YMD",
)

def gmv_basis(fmt: Format, headers: dict[str, str]) -> str | None:
    """The one GMV definition, in the words of a file's own headers, for the run log: net of refunds,
    cancelled and unpaid orders left out. ``headers``: field -> the header the file has for it."""
    if fmt.kind == "orders":
        base = headers.get("subtotal") or headers.get("total")
        if not base:
            return None
        net = f"{base} − {headers['refunded']}" if "refunded" in headers else base
        return f"{net}; 不计 excluded: refunded/voided/cancelled/pending/authorized/unpaid"
    if "gmv" not in headers:
        return None
    return (f"{headers['gmv']} − {headers['refunded']}" if "refunded" in headers
            else f"{headers['gmv']} (无退款列 no refund column)")


#: Known formats, most specific first: on a tie in matched columns the earlier one wins.
KNOWN_FORMATS: tuple[Format, ...] = (SHOPIFY, TIKTOK_SHOP, INSTAGRAM, YOUTUBE, TIKTOK)
