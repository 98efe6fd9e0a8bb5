"""The Dagster UI in a real browser, and its GraphQL API, over `recon ui` on a simulated landing zone.

One module, one webserver: the GraphQL test runs first so a missing definition fails before the browser starts.
"""

from __future__ import annotations

import time

import pytest

from dagster_project.contract import SYSTEMS
from tests.e2e.conftest import RUN_TIMEOUT
from tests.test_definitions import MARTS

pytestmark = pytest.mark.slow

LOCATION = "dagster_project.definitions"
GROUPS = {
    "ingest": {f"{system}/events" for system in SYSTEMS},
    "seeds": {"status_map", "divergence_rules"},
    "staging": {f"stg_{system}__events" for system in SYSTEMS} | {"stg_recon__status_map"},
    "marts": MARTS,
    "exceptions": {"exceptions"},
}
SENSORS = {
    "landing_sensor": "RUNNING",
    "escalation_sensor": "RUNNING",
    "run_failure_alert_sensor": "RUNNING",
    "asset_check_alert_sensor": "RUNNING",
}
JOBS = {"__ASSET_JOB", "reconcile", "replay_quarantine_job", "replay_orders_job", "replay_remap_job"}

DEFINITIONS_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    kinds
    owners { ... on TeamAssetOwner { team } }
    description
    pools
    tags { key value }
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
  }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        jobs { name }
        sensors { name sensorState { status } }
        schedules { name cronSchedule executionTimezone scheduleState { status } }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def definitions(dagster_ui) -> dict:
    return dagster_ui.graphql(DEFINITIONS_QUERY)


def _assets(definitions: dict) -> dict[str, dict]:
    return {"/".join(node["assetKey"]["path"]): node for node in definitions["assetNodes"]}


def _checks(node: dict) -> dict[str, bool]:
    return {check["name"]: check["blocking"] for check in node["assetChecksOrError"]["checks"]}


def test_graphql_serves_every_asset_in_its_group_with_owner_kinds_and_description(definitions):
    assets = _assets(definitions)
    for group, keys in GROUPS.items():
        assert {key for key, node in assets.items() if node["groupName"] == group} == keys
    intermediate = {key for key, node in assets.items() if node["groupName"] == "intermediate"}
    assert {"int_order_events_unioned", "int_divergences_enriched"} <= intermediate
    assert set(assets) == set().union(*GROUPS.values()) | intermediate
    assert all(node["description"] for node in assets.values())
    assert all(node["owners"] for node in assets.values())
    assert set(assets["carrier/events"]["kinds"]) == {"duckdb"}
    assert set(assets["fct_divergences"]["kinds"]) == {"dbt", "duckdb"}
    assert set(assets["exceptions"]["kinds"]) == {"slack", "sqlite"}
    assert assets["carrier/events"]["owners"] == [{"team": "integrations"}]
    # Every asset reads or writes the DuckDB file: one at a time, across runs.
    assert {key for key, node in assets.items() if node["pools"] != ["warehouse"]} == set()


def test_graphql_tags_each_systems_assets_with_the_system(definitions):
    tagged: dict[str, set[str]] = {}
    for key, node in _assets(definitions).items():
        for tag in node["tags"]:
            if tag["key"] == "system":
                tagged.setdefault(tag["value"], set()).add(key)
    assert tagged == {system: {f"{system}/events", f"stg_{system}__events"} for system in SYSTEMS}


def test_graphql_serves_the_checks_on_the_assets_they_check(definitions):
    assets = _assets(definitions)
    assert _checks(assets["exceptions"]) == {"slack_delivered": False}
    divergence_checks = _checks(assets["fct_divergences"])
    # dbt tests as checks, beside the Great Expectations suites.
    assert "unique_fct_divergences_divergence_id" in divergence_checks
    assert "not_null_fct_divergences_divergence_id" in divergence_checks
    # A singular dbt test reading two models is a check on the one its meta names, not a loose observation.
    assert "assert_clusters_count_their_divergences" in _checks(assets["fct_divergence_clusters"])
    assert "assert_nothing_after_as_of" in _checks(assets["fct_order_state"])


def test_graphql_serves_the_sensors_schedule_and_jobs(definitions):
    (repository,) = definitions["repositoriesOrError"]["nodes"]
    assert {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]} == SENSORS
    assert [
        (s["name"], s["cronSchedule"], s["executionTimezone"], s["scheduleState"]["status"])
        for s in repository["schedules"]
    ] == [("full_reconciliation", "0 * * * *", "UTC", "RUNNING")]
    assert {job["name"] for job in repository["jobs"]} == JOBS


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    skip = page.get_by_role("button", name="Skip")  # the first-visit newsletter prompt
    if skip.count():
        skip.click()


def _shown_as(label: str, name: str) -> bool:
    """A node shows the last part of its key, shortened in the middle with "…" when the graph is zoomed out."""
    if "…" not in label:
        return label == name
    head, tail = label.split("…", 1)
    return name.startswith(head) and name.endswith(tail) and len(name) > len(head) + len(tail)


def _match(labels: list[str], names: list[str]) -> list[str]:
    """The names no label stands for (each label stands for one name); [] when the graph shows them all."""
    left = list(labels)
    missing = []
    for name in sorted(names, key=len, reverse=True):
        found = next((label for label in left if _shown_as(label, name)), None)
        if found is None:
            missing.append(name)
        else:
            left.remove(found)
    return missing


@pytest.mark.parametrize("group", sorted(GROUPS) + ["intermediate"])
def test_the_asset_graph_shows_every_asset_of_the_group(dagster_ui, definitions, page, group):
    names = [key.split("/")[-1] for key, node in _assets(definitions).items() if node["groupName"] == group]
    # Tall enough for the graph to fit whole: it draws only the nodes in view.
    page.set_viewport_size({"width": 1600, "height": 3000})
    _open(page, f"{dagster_ui.url}/locations/{LOCATION}/asset-groups/{group}")
    nodes = page.locator("[class*='AssetNode_assetName']")
    nodes.first.wait_for(timeout=60_000)
    page.wait_for_function(
        "n => document.querySelectorAll(\"[class*='AssetNode_assetName']\").length >= n", arg=len(names)
    )
    labels = nodes.all_inner_texts()
    assert len(labels) == len(names)
    assert _match(labels, names) == []
    assert page.console_errors == []


def _new_run(dagster_ui, before: set[str], tag: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for run in dagster_ui.runs():
            if run["runId"] not in before and any(t["key"] == tag for t in run["tags"]):
                return run
        time.sleep(2)
    raise AssertionError(f"no new run tagged {tag} appeared")


def test_materialize_all_from_the_ui_succeeds_and_the_marts_metadata_is_plotted(dagster_ui, page):
    before = {run["runId"] for run in dagster_ui.runs()}
    _open(page, f"{dagster_ui.url}/asset-groups")
    page.get_by_role("button", name="Materialize all").click()

    run = _new_run(dagster_ui, before, "dagster/from_ui")

    assert run["jobName"] == "__ASSET_JOB"
    assert dagster_ui.wait_for_run(run["runId"]) == "SUCCESS", dagster_ui.failure_of(run["runId"])
    _open(page, f"{dagster_ui.url}/assets/fct_divergences")
    page.get_by_role("button", name="Plots").click()
    for metric in ("divergences", "open_action_divergences", "informational_divergences", "open_exposure_amount"):
        page.get_by_text(metric, exact=True).first.wait_for(timeout=60_000)
    assert page.locator("canvas, svg.recharts-surface").count() > 0


def test_a_replay_dry_run_launched_from_the_launchpad_finishes(dagster_ui, page):
    before = {run["runId"] for run in dagster_ui.runs()}
    _open(page, f"{dagster_ui.url}/locations/{LOCATION}/jobs/replay_quarantine_job/playground")
    page.get_by_text("execute: false").wait_for(timeout=60_000)
    page.get_by_role("button", name="Launch Run").click()

    run = _new_run(dagster_ui, before, "recon/replay")

    assert run["jobName"] == "replay_quarantine_job"
    assert dagster_ui.wait_for_run(run["runId"]) == "SUCCESS", dagster_ui.failure_of(run["runId"])
    page.wait_for_url(f"**/runs/{run['runId']}*", timeout=RUN_TIMEOUT * 1000)
