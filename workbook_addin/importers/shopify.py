"""Shop orders (Shopify's orders export, or a mapped shop export) attributed to collaborations.

Shopify writes one row per line item and repeats the order ``Name`` on each, with the order-level
fields (status, totals, discount code, dates) only on the first row: rows are grouped by Name and
the first non-empty value of each order field kept. Each order is then counted once:

- refunded, voided and cancelled orders count neither as an order nor as GMV;
- pending, authorized (payment not captured) and unpaid or expired orders are not sales yet: they
  count neither (a later export with the payment captured makes them count, through the ledger);
- a partially refunded order counts, with GMV net of the refunded amount;
- GMV is the order's Subtotal (after discounts, before shipping and tax) less refunds, never
  below zero; Total stands in when a file has no Subtotal.

The UTM campaign comes from an explicit column, the landing-site URL, or the Note Attributes that
tracking apps write (``utm_campaign: mia_nov`` or a landing URL carrying ``utm_campaign=``).
"""
from __future__ import annotations

import math
import re
from urllib.parse import unquote_plus

import pandas as pd

from ..core.cells import is_blank
from .formats import Format
from .problems import Problem, file_problem

#: Financial statuses (English codes, Shopify admin labels, German and Chinese) that void an order.
EXCLUDED_STATUSES = frozenset({
    "refunded", "voided", "void", "cancelled", "canceled", "erstattet", "rückerstattet", "storniert",
    "annulliert", "已退款", "已作废", "已取消", "全额退款",
})
#: Statuses of an order whose payment was not captured (yet): not a sale, so neither an order nor GMV.
UNPAID_STATUSES = frozenset({
    "pending", "authorized", "unpaid", "expired", "payment_pending", "ausstehend", "autorisiert",
    "nicht_bezahlt", "abgelaufen", "待付款", "待处理", "已授权", "未付款", "已过期",
})
#: the value runs to the next parameter or separator; quotes inside it are part of it (``mia"s_launch``)
_UTM = re.compile(r"utm_campaign(?:%3D|\s*[:=]\s*)([^\s&,;#]+)", re.I)


def status_code(value: object) -> str:
    """``"Partially Refunded"`` -> ``"partially_refunded"``."""
    return re.sub(r"[\s\-]+", "_", str(value or "").strip().casefold())


def utm_campaign_from(*texts: object) -> str | None:
    """The first utm_campaign value found in URLs or ``key: value`` note lines."""
    for text in texts:
        if isinstance(text, str) and (m := _UTM.search(text)):
            return unquote_plus(m.group(1)).strip().strip("\"'") or None
    return None


def order_rows(frame: pd.DataFrame, fmt: Format, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """One row per order: orders (1 or 0), net GMV, currency, promo code, UTM campaign, status."""
    problems: list[Problem] = []
    if frame.empty:
        return frame.assign(row_id=pd.Series(dtype=object)), problems
    cols = [c for c in frame.columns if c != "source_row"]
    orders: dict[str, dict] = {}
    for rec in frame.to_dict("records"):
        name = rec.get("order_id")
        if not name:
            problems.append(file_problem(file, rec["source_row"], "Name",
                                         "订单号为空 order name is empty; row skipped"))
            continue
        name = str(name).strip()
        cur = orders.get(name)
        if cur is None:
            orders[name] = dict(rec)
            continue
        for c in cols:  # order-level fields are on the first line-item row only
            if is_blank(cur.get(c)) and not is_blank(rec.get(c)):
                cur[c] = rec[c]
    rows = []
    for name, o in orders.items():
        status = status_code(o.get("financial_status"))
        cancelled = not is_blank(o.get("cancelled_at"))
        base = o.get("subtotal")
        if is_blank(base):
            base = o.get("total")
        refunded = 0.0 if is_blank(o.get("refunded")) else float(o["refunded"])
        if cancelled or status in EXCLUDED_STATUSES or status in UNPAID_STATUSES:
            counted, gmv = False, 0.0
            note = "已取消 cancelled" if cancelled else f"不计入 not counted: {o.get('financial_status')}"
        else:
            counted = True
            gmv = round(max(0.0, float(base or 0) - refunded), 2) if not is_blank(base) else math.nan
            note = f"部分退款 net of refund {refunded:g}" if refunded else ""
        currency = o.get("gmv_currency") or o.get("subtotal__currency") or o.get("total__currency")
        rows.append({
            "source_row": o["source_row"],
            "order_id": name,
            "promo_code": o.get("promo_code"),
            "utm_campaign": o.get("utm_campaign") or utm_campaign_from(o.get("landing_site"), o.get("note_attributes")),
            "published_at": o.get("published_at"),
            "orders": 1.0 if counted else 0.0,
            "gmv": gmv,
            "gmv_currency": str(currency).strip().upper() if currency else None,
            "counted": counted,
            "note": note,
            "row_id": f"{fmt.name}:{name}",
        })
    out = pd.DataFrame(rows)
    out["published_at"] = pd.to_datetime(out["published_at"])
    return out, problems

