"""The marts' rows as the sync reads them: `fct_divergences` rows checked and typed, grouped by cluster."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from dagster_project.errors import ReconError
from dagster_project.store.models import DIVERGENCE_STATUSES, SEVERITIES
from dagster_project.store.utc import is_missing, parse_time

QUEUES = ("action", "informational")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Observed:
    """One action divergence of `fct_divergences`, as this sync sees it."""

    divergence_id: str
    cluster_id: str
    order_id: str | None
    status: str
    severity: str
    exposure_amount: Decimal | None
    currency: str | None
    divergence_start: datetime | None
    resolved_at: datetime | None
    summary: str | None
    owner_team: str | None
    rule: str | None
    classification: str | None
    carrier: str | None
    zone: str | None


def _text(value: Any) -> str | None:
    return None if is_missing(value) else str(value)


def _amount(value: Any, where: str) -> Decimal | None:
    if is_missing(value) or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        raise ReconError(f"{where}: exposure_amount {value!r} is not a number") from None


def _one_of(row: Mapping[str, Any], column: str, allowed: tuple[str, ...], where: str) -> str:
    value = row.get(column)
    if value not in allowed:
        raise ReconError(f"{where}: {column} {value!r} is not one of {', '.join(allowed)}")
    return value


def _observed(row: Mapping[str, Any], where: str) -> Observed:
    try:
        start = parse_time(row.get("divergence_start"), "divergence_start")
        resolved_at = parse_time(row.get("resolved_at"), "resolved_at")
    except ValueError as exc:
        raise ReconError(f"{where}: {exc}") from None
    status = _one_of(row, "status", DIVERGENCE_STATUSES, where)
    severity = row.get("severity")
    return Observed(
        divergence_id=str(row["divergence_id"]),
        cluster_id=str(row["cluster_id"]),
        order_id=_text(row.get("order_id")),
        status=status,
        # A row without a severity counts as low; any other value is an error.
        severity="low" if is_missing(severity) else _one_of(row, "severity", SEVERITIES, where),
        exposure_amount=_amount(row.get("exposure_amount"), where),
        currency=_text(row.get("currency")),
        divergence_start=start,
        resolved_at=resolved_at if status == "resolved" else None,
        summary=_text(row.get("summary")),
        owner_team=_text(row.get("owner_team")),
        rule=_text(row.get("rule")),
        classification=_text(row.get("classification")),
        carrier=_text(row.get("carrier")),
        zone=_text(row.get("zone")),
    )


def action_divergences_by_cluster(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Observed]]:
    """{cluster_id: {divergence_id: Observed}} of the action rows; informational rows are left out."""
    clusters: dict[str, dict[str, Observed]] = {}
    seen: set[str] = set()
    for index, row in enumerate(rows):
        divergence_id = row.get("divergence_id")
        where = f"fct_divergences row {index} ({divergence_id})"
        for column in ("divergence_id", "cluster_id"):
            if is_missing(row.get(column)) or row.get(column) == "":
                raise ReconError(f"{where}: {column} is missing")
        if divergence_id in seen:
            raise ReconError(f"{where}: divergence_id appears more than once")
        seen.add(divergence_id)
        if _one_of(row, "queue", QUEUES, where) != "action":
            continue
        observed = _observed(row, where)
        clusters.setdefault(observed.cluster_id, {})[observed.divergence_id] = observed
    return clusters
