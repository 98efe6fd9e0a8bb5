"""`remap`: which native statuses map differently in recon.yaml from the map the marts were built with."""

from __future__ import annotations

import csv

import duckdb

from dagster_project.config import Config
from dagster_project.lib.dbt import DBT_DIR

Change = tuple[str, str, str | None, str | None]


def _seeded() -> dict[tuple[str, str], str]:
    with (DBT_DIR / "seeds" / "status_map.csv").open(newline="") as seed:
        return {(row["system"], row["native_status"]): row["canonical_state"] for row in csv.DictReader(seed)}


def wanted_map(config: Config) -> dict[tuple[str, str], str]:
    """The shipped seed with recon.yaml's `status_map` on top: what the next build will use."""
    mapping = _seeded()
    for system, statuses in config.status_map.items():
        mapping.update({(system, native): state for native, state in statuses.items()})
    return mapping


def built_map(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """The map in force when the marts were last built (the staging view holds the extra mappings it was
    built with)."""
    rows = conn.execute("select system, native_status, canonical_state from main.stg_recon__status_map").fetchall()
    return {(system, native): state for system, native, state in rows}


def status_changes(conn: duckdb.DuckDBPyConnection, config: Config) -> list[Change]:
    """(system, native_status, state before, state after) for every mapping that differs, sorted."""
    before, after = built_map(conn), wanted_map(config)
    keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return [(system, native, before.get((system, native)), after.get((system, native))) for system, native in keys]
