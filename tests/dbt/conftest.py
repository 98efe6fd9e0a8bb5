"""Fixtures for the dbt rule tests: one warehouse built per test module from its registered scenarios."""

from __future__ import annotations

import pytest

from tests.dbt.recon_dbt_harness import Events, Marts, build_warehouse, ingest_events


def build_marts(tmp_path_factory: pytest.TempPathFactory, name: str, scenarios, **variables) -> Marts:
    """Land the scenarios' events as batch files, ingest them, check that all got in, and run dbt build."""
    events = Events()
    for add_scenario in scenarios:
        add_scenario(events)
    work_dir = tmp_path_factory.mktemp(name)
    ingestion = ingest_events(work_dir, events)
    # Every scenario event is valid: ingestion keeps each one exactly once and quarantines nothing.
    assert ingestion.quarantined() == []
    assert ingestion.rows_ingested() == ingestion.events
    build_warehouse(work_dir, ingestion.warehouse, **variables)
    return Marts(ingestion.warehouse)


@pytest.fixture(scope="module")
def marts_for(tmp_path_factory):
    """Call with the module's scenario functions (and dbt vars); yields the built marts."""
    built: list[Marts] = []

    def _build(scenarios, name: str = "warehouse", **variables) -> Marts:
        marts = build_marts(tmp_path_factory, name, scenarios, **variables)
        built.append(marts)
        return marts

    yield _build
    for marts in built:
        marts.close()
