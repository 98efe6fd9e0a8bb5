"""Fixtures for the dbt rule tests: one warehouse built per test module from its registered scenarios."""

from __future__ import annotations

import pytest

from tests.dbt.recon_dbt_harness import Events, Marts, build_warehouse


def build_marts(tmp_path_factory: pytest.TempPathFactory, name: str, scenarios, **variables) -> Marts:
    events = Events()
    for add_scenario in scenarios:
        add_scenario(events)
    warehouse = build_warehouse(tmp_path_factory.mktemp(name), events, **variables)
    return Marts(warehouse)


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
