"""UTC times: the one way the store reads, writes, compares and prints them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.types import DateTime, TypeDecorator


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC (DuckDB hands the marts' timestamps over naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def is_missing(value: Any) -> bool:
    """None, NaN, pandas' NaT (a datetime unequal to itself) and pandas' NA (whose comparisons have no truth)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def parse_time(value: Any, what: str) -> datetime | None:
    """A mart timestamp as given (datetime, pandas Timestamp or ISO 8601 text) → aware UTC, or None."""
    if is_missing(value) or value == "":
        return None
    if isinstance(value, datetime):
        return as_utc(value.to_pydatetime() if hasattr(value, "to_pydatetime") else value)
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise ValueError(f"{what}: {value!r} is not a timestamp")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with microseconds and 'Z': one spelling, so hashes and payloads are stable."""
    if value is None:
        return None
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out: `timestamptz` on PostgreSQL, naive UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = as_utc(value)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)
