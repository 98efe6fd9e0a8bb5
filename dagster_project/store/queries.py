"""Reading the store: the exception queue and one exception with its divergences and audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dagster_project.errors import ReconError
from dagster_project.store.audit import audit_trail
from dagster_project.store.models import ExceptionDivergence, ExceptionRow
from dagster_project.store.payloads import by_exposure, divergence_brief, exception_snapshot
from dagster_project.store.store import Store

# Values per `in (...)` list: well under every database's parameter limit.
CHUNK = 500
T = TypeVar("T")


def chunks(values: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def links_by_exception(session: Session, exception_ids: Iterable[int]) -> dict[int, list[ExceptionDivergence]]:
    """The linked divergences of each exception (an empty list for one without)."""
    ids = sorted(exception_ids)
    links: dict[int, list[ExceptionDivergence]] = {exception_id: [] for exception_id in ids}
    for chunk in chunks(ids):
        for link in session.scalars(select(ExceptionDivergence).where(ExceptionDivergence.exception_id.in_(chunk))):
            links[link.exception_id].append(link)
    return links


def get_exception(session: Session, exception_id: int) -> ExceptionRow:
    """The exception, or an error naming the id."""
    exception = session.get(ExceptionRow, exception_id)
    if exception is None:
        raise ReconError(f"no exception with id {exception_id}")
    return exception


def list_exceptions(
    store: Store, *, states: Iterable[str] | None = None, owner_team: str | None = None
) -> list[dict[str, Any]]:
    """Exception snapshots (counts and exposure over open divergences), oldest first."""
    query = select(ExceptionRow).order_by(ExceptionRow.id)
    if states is not None:
        query = query.where(ExceptionRow.state.in_(list(states)))
    if owner_team is not None:
        query = query.where(ExceptionRow.owner_team == owner_team)
    with store.session() as session:
        exceptions = session.scalars(query).all()
        links = links_by_exception(session, (exception.id for exception in exceptions))
        return [exception_snapshot(exception, links[exception.id]) for exception in exceptions]


def show_exception(store: Store, exception_id: int) -> dict[str, Any]:
    """One exception: its snapshot, every linked divergence (largest exposure first) and its audit trail."""
    with store.session() as session:
        exception = get_exception(session, exception_id)
        links = links_by_exception(session, [exception_id])[exception_id]
        result = {
            "exception": exception_snapshot(exception, links),
            "divergences": [divergence_brief(link) for link in by_exposure(links)],
        }
    result["audit"] = audit_trail(store, exception_id)
    return result
