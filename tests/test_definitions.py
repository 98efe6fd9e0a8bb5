"""The code location as a Dagster user sees it: every asset, its group, owners and lineage, and the dbt tests
as asset checks. A lost asset or a broken dependency fails here first."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.contract import SYSTEMS

MARTS = {
    "fct_order_state",
    "fct_divergences",
    "fct_divergence_clusters",
    "rpt_kpis_daily",
    "rpt_integration_drift",
    "mart_build",
}


@pytest.fixture(scope="module")
def graph():
    from dagster_project.definitions import defs

    return defs.resolve_asset_graph()


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey.from_user_string(name)


def test_one_ingest_asset_per_system(graph):
    ingest = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).group_name == "ingest"}
    assert ingest == {f"{system}/events" for system in SYSTEMS}


def test_layers_are_groups(graph):
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    assert set(groups) == {"ingest", "seeds", "staging", "intermediate", "marts", "exceptions"}
    assert groups["exceptions"] == {"exceptions"}
    assert groups["marts"] == MARTS
    assert groups["seeds"] == {"status_map", "divergence_rules"}
    assert groups["staging"] == {f"stg_{s}__events" for s in SYSTEMS} | {"stg_recon__status_map"}


def test_lineage_reads_landing_to_marts(graph):
    for system in SYSTEMS:
        assert _key(f"{system}/events") in graph.get(_key(f"stg_{system}__events")).parent_keys
    assert graph.get(_key("fct_divergences")).parent_keys == {_key("int_divergences_enriched")}
    assert {_key(f"{system}/events") for system in SYSTEMS} <= _ancestors(graph, _key("fct_divergences"))


def test_exceptions_follow_the_divergence_marts_and_check_slack_delivery(graph):
    assert graph.get(_key("exceptions")).parent_keys == {_key("fct_divergences"), _key("fct_divergence_clusters")}
    assert dg.AssetCheckKey(_key("exceptions"), "slack_delivered") in graph.asset_check_keys


def _ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, todo = set(), [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_every_asset_has_an_owner_and_a_description(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners, key
        assert node.description, key


def test_dbt_tests_are_asset_checks_on_the_marts(graph):
    checks = graph.asset_check_keys
    assert len(checks) > 100
    on_divergences = {c.name for c in checks if c.asset_key == _key("fct_divergences")}
    assert "unique_fct_divergences_divergence_id" in on_divergences


def test_replay_jobs_have_launchpad_config_and_the_sensors_are_loaded():
    from dagster_project.definitions import defs

    for kind in ("quarantine", "orders", "remap"):
        job = defs.resolve_job_def(f"replay_{kind}_job")
        fields = job.run_config_schema.config_type.fields["ops"].config_type.fields[f"replay_{kind}"]
        config = fields.config_type.fields["config"].config_type.fields
        assert set(config) == {"execute", "reason", "operator", "systems", "files", "orders"}
        assert not config["execute"].is_required
    assert {s.name for s in defs.sensors} == {
        "landing_sensor",
        "escalation_sensor",
        "run_failure_alert_sensor",
        "asset_check_alert_sensor",
    }


def test_each_ingest_asset_has_a_blocking_contract_check(graph):
    for system in SYSTEMS:
        check = dg.AssetCheckKey(_key(f"{system}/events"), "contract")
        assert check in graph.asset_check_keys
        assert graph.get_check_spec(check).blocking, check


def test_the_gx_suites_are_blocking_checks_on_the_divergence_mart(graph):
    divergences = _key("fct_divergences")
    gx = {c for c in graph.asset_check_keys if c.name.startswith("gx_")}
    assert gx == {dg.AssetCheckKey(divergences, "gx_business_rules"), dg.AssetCheckKey(divergences, "gx_referential")}
    referential = graph.get_check_spec(dg.AssetCheckKey(divergences, "gx_referential"))
    assert {dep.asset_key for dep in referential.additional_deps} == {
        _key("fct_divergence_clusters"),
        _key("fct_order_state"),
    }
    assert all(graph.get_check_spec(check).blocking for check in gx)
    assert not graph.get_check_spec(dg.AssetCheckKey(_key("exceptions"), "slack_delivered")).blocking
