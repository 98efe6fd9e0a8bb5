"""Sample exceptions and divergences shaped like the store's exceptions and `fct_divergences` rows."""

from __future__ import annotations

from datetime import datetime

HOSTILE_ORDER_ID = "<!channel> <https://x|y>"


def exception(**overrides) -> dict:
    base = {
        "exception_id": "exc-7f3a",
        "rule": "amount_mismatch",
        "classification": "mapping_error",
        "owner_team": "integrations",
        "severity": "high",
        "status": "open",
        "opened_at": datetime(2026, 2, 9, 20, 30),
        "sla_due_at": datetime(2026, 2, 10, 0, 30),
        "exposure_amount": 148_351.5,
        "currency": "INR",
        "cluster_id": "7647d7da",
        "carrier": "parcelwave",
        "zone": "B",
        "divergence_count": 2,
        "order_count": 2,
    }
    return {**base, **overrides}


def divergence(order_id: str, exposure: float, summary: str = "ERP amount is 100x the OMS amount.", **extra) -> dict:
    return {
        "divergence_id": f"div-{order_id}",
        "order_id": order_id,
        "rule": "amount_mismatch",
        "classification": "mapping_error",
        "severity": "high",
        "exposure_amount": exposure,
        "currency": "INR",
        "summary": summary,
        **extra,
    }


def divergences(n: int) -> list[dict]:
    return [divergence(f"ORD-{i:07d}", float(i), f"Summary of order {i}.") for i in range(1, n + 1)]
