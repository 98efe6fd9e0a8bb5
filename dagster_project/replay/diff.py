"""What a replay changes in the divergence mart: the live warehouse against the replayed one (scratch, or the live
file after an execute), attached side by side in one in-memory DuckDB, read-only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.contract import SYSTEMS
from dagster_project.marts import dicts

_ROWS = "select divergence_id, order_id, rule, classification, queue, status from {db}.main.fct_divergences"


@dataclass
class MartDiff:
    # Open before, resolved or gone after.
    resolve: list[dict] = field(default_factory=list)
    # Open after, and absent or resolved before.
    appear: list[dict] = field(default_factory=list)
    # In both, with another classification or queue.
    reclassify: list[dict] = field(default_factory=list)
    # The whole mart after: (divergence_id, status, classification, queue), what the verification holds it to.
    after_rows: list[list] = field(default_factory=list)
    events_before: dict[str, int] = field(default_factory=dict)
    events_after: dict[str, int] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return len(self.resolve) + len(self.appear) + len(self.reclassify)

    def rows_added(self) -> dict[str, int]:
        return {system: self.events_after[system] - self.events_before[system] for system in SYSTEMS}

    def orders(self) -> list[str]:
        return sorted({row["order_id"] for row in (*self.resolve, *self.appear, *self.reclassify)})

    def divergence_ids(self) -> list[str]:
        return sorted({row["divergence_id"] for row in (*self.resolve, *self.appear, *self.reclassify)})


def event_counts(conn: duckdb.DuckDBPyConnection, db: str | None = None) -> dict[str, int]:
    """Raw events per system, in the attached database `db` or the connection's own."""
    prefix = f"{db}." if db else ""
    return {system: conn.execute(f"select count(*) from {prefix}{system}.events").fetchone()[0] for system in SYSTEMS}


def diff_marts(before: Path, after: Path) -> MartDiff:
    with duckdb.connect() as conn:
        conn.execute(f"attach '{before}' as before_db (read_only)")
        conn.execute(f"attach '{after}' as after_db (read_only)")
        b, a = _ROWS.format(db="before_db"), _ROWS.format(db="after_db")
        order = "order by order_id, rule, divergence_id"
        diff = MartDiff(
            resolve=dicts(
                conn,
                f"select b.* from ({b}) b left join ({a}) a using (divergence_id) "
                f"where b.status = 'open' and coalesce(a.status, 'gone') <> 'open' {order}",
            ),
            appear=dicts(
                conn,
                f"select a.* from ({a}) a left join ({b}) b using (divergence_id) "
                f"where a.status = 'open' and coalesce(b.status, 'gone') <> 'open' {order}",
            ),
            reclassify=dicts(
                conn,
                "select b.divergence_id, b.order_id, b.rule, b.classification as classification_before, "
                "a.classification as classification_after, b.queue as queue_before, a.queue as queue_after "
                f"from ({b}) b join ({a}) a using (divergence_id) "
                f"where (b.classification, b.queue) <> (a.classification, a.queue) order by b.order_id, b.rule",
            ),
            after_rows=[
                list(row)
                for row in conn.execute(
                    f"select divergence_id, status, classification, queue from ({a}) order by divergence_id"
                ).fetchall()
            ],
            events_before=event_counts(conn, "before_db"),
            events_after=event_counts(conn, "after_db"),
        )
    return diff
