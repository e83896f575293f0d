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
from typing import Any
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
    names = frame["order_id"].astype(object)
    missing = names.isna().to_numpy() | (names == "").to_numpy()
    for row in frame["source_row"][missing].tolist():
        problems.append(file_problem(file, row, "Name", "订单号为空 order name is empty; row skipped"))
    # order-level fields are on the first line-item row only: per order, each field's first filled value
    # (typed cells are None, NaN or NaT when blank, which is what first() skips)
    orders = frame[~missing].groupby("order_id", sort=False).first()

    def col(name: str) -> list[Any]:
        if name not in orders:
            return [None] * len(orders)
        return [None if is_blank(v) else v for v in orders[name].astype(object).tolist()]

    status = col("financial_status")
    codes = {v: status_code(v) for v in set(status)}
    cancelled = [v is not None for v in col("cancelled_at")]
    base = [s if s is not None else t for s, t in zip(col("subtotal"), col("total"))]
    refunded = [0.0 if r is None else float(r) for r in col("refunded")]
    void = EXCLUDED_STATUSES | UNPAID_STATUSES
    counted = [not (c or codes[s] in void) for s, c in zip(status, cancelled)]
    currency = [a or b or c for a, b, c in zip(col("gmv_currency"), col("subtotal__currency"), col("total__currency"))]
    utm = [u or utm_campaign_from(site, note) for u, site, note in zip(col("utm_campaign"), col("landing_site"),
                                                                      col("note_attributes"))]
    out = pd.DataFrame({
        "source_row": orders["source_row"].tolist(),
        "order_id": orders.index.tolist(),
        "promo_code": col("promo_code"),
        "utm_campaign": utm,
        "published_at": col("published_at"),
        "orders": [1.0 if k else 0.0 for k in counted],
        "gmv": [(round(max(0.0, float(b or 0) - r), 2) if b is not None else math.nan) if k else 0.0
                for b, r, k in zip(base, refunded, counted)],
        "gmv_currency": [str(c).strip().upper() if c else None for c in currency],
        "counted": counted,
        "note": [_note(k, c, s, r) for k, c, s, r in zip(counted, cancelled, status, refunded)],
        "row_id": [f"{fmt.name}:{name}" for name in orders.index.tolist()],
    })
    out["published_at"] = pd.to_datetime(out["published_at"])
    return out, problems


def _note(counted: bool, cancelled: bool, status: Any, refunded: float) -> str:
    """Why an order counts, or not, as the ledger's status column says it."""
    if cancelled:
        return "已取消 cancelled"
    if not counted:
        return f"不计入 not counted: {status}"
    return f"部分退款 net of refund {refunded:g}" if refunded else ""
