"""What the store tells Slack: a snapshot of an exception, as JSON values (the Slack side formats it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dagster_project.store.models import ExceptionDivergence, ExceptionRow
from dagster_project.store.utc import iso


def jsonable(value: Any) -> Any:
    """JSON values with one spelling each (payloads, audit details): times ISO 8601 UTC, amounts as text."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(item) for item in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# The parent message lists this many divergences, the largest exposure first.
TOP_DIVERGENCES = 5


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def divergence_brief(link: ExceptionDivergence) -> dict[str, Any]:
    return {
        "divergence_id": link.divergence_id,
        "order_id": link.order_id,
        "status": link.status,
        "severity": link.severity,
        "exposure_amount": _amount(link.exposure_amount),
        "currency": link.currency,
        "divergence_start": iso(link.divergence_start),
        "resolved_at": iso(link.resolved_at),
        "summary": link.summary,
    }


def by_exposure(links: Iterable[ExceptionDivergence]) -> list[ExceptionDivergence]:
    """Largest exposure first, then oldest, then order id: a stable order for listings."""
    return sorted(
        links,
        key=lambda link: (
            -(link.exposure_amount or 0),
            iso(link.divergence_start) or "",
            link.order_id or "",
            link.divergence_id,
        ),
    )


def exception_snapshot(exception: ExceptionRow, links: Iterable[ExceptionDivergence]) -> dict[str, Any]:
    """The exception as it stands, with counts and exposure over its open divergences."""
    links = list(links)
    open_links = [link for link in links if link.status == "open"]
    currencies = {link.currency for link in open_links if link.currency}
    return {
        "exception_id": exception.id,
        "fingerprint": exception.fingerprint,
        "cluster_id": exception.cluster_id,
        "state": exception.state,
        "occurrence": exception.occurrence,
        "severity": exception.severity,
        "owner_team": exception.owner_team,
        "channel": exception.channel,
        "rule": exception.rule,
        "classification": exception.classification,
        "carrier": exception.carrier,
        "zone": exception.zone,
        "payment_mode": exception.payment_mode,
        "system": exception.system,
        "bucket_grain": exception.bucket_grain,
        "bucket_start": iso(exception.bucket_start),
        "opened_at": iso(exception.opened_at),
        "sla_due_at": iso(exception.sla_due_at),
        "escalation_step": exception.escalation_step,
        "acknowledged_by": exception.acknowledged_by,
        "assignee": exception.assignee,
        "closed_reason": exception.closed_reason,
        "divergences": len(links),
        "open_divergences": len(open_links),
        "orders": len({link.order_id for link in open_links}),
        "exposure_amount": _amount(sum((link.exposure_amount or Decimal(0) for link in open_links), Decimal(0))),
        "currency": currencies.pop() if len(currencies) == 1 else ("MIXED" if currencies else None),
        # The open ones; once none is open, the ones it was about.
        "top_divergences": [divergence_brief(link) for link in by_exposure(open_links or links)[:TOP_DIVERGENCES]],
    }
