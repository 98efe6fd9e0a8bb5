"""The landing sensor: a run for the systems with new or changed files only, everything downstream of ingestion,
nothing for an unchanged landing zone, and a clear skip reason when there is no landing zone."""

from __future__ import annotations

import json
import os

import dagster as dg
import pytest

from dagster_project.contract import SYSTEMS
from dagster_project.defs.resources import ReconResource
from sensors.landing import changed_systems, landing_digests, landing_sensor


@pytest.fixture(scope="module")
def repository():
    from dagster_project.definitions import defs

    return defs.get_repository_def()


def _write(landing, rel: str, text: str = '{"event_id": "e1"}\n') -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _tick(repository, landing, home, cursor=None):
    context = dg.build_sensor_context(
        cursor=cursor,
        repository_def=repository,
        resources={"recon": ReconResource(home=str(home.root), landing=str(landing))},
    )
    return landing_sensor(context), context.cursor


def test_first_tick_runs_every_system_with_files_and_everything_downstream(repository, landing, home):
    _write(landing, "carrier/2026-03-01/batch-1.jsonl")
    _write(landing, "oms/batch-1.csv", "event_id\ne1\n")

    request, cursor = _tick(repository, landing, home)

    assert request.tags == {"recon/trigger": "landing", "recon/systems": "oms,carrier"}
    selected = {key.to_user_string() for key in request.asset_selection}
    ingest = {f"{system}/events" for system in SYSTEMS}
    assert selected & ingest == {"oms/events", "carrier/events"}
    assert {"stg_carrier__events", "fct_divergences", "fct_divergence_clusters", "exceptions"} <= selected
    every_key = {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()}
    assert selected == every_key - (ingest - {"oms/events", "carrier/events"})
    assert set(json.loads(cursor)) == {"oms", "carrier"}


def test_unchanged_landing_zone_launches_nothing(repository, landing, home):
    _write(landing, "carrier/batch-1.jsonl")
    _, cursor = _tick(repository, landing, home)

    result, again = _tick(repository, landing, home, cursor)

    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == "No new or changed files in the landing zone."
    assert again == cursor


def test_a_new_file_runs_its_system_only(repository, landing, home):
    _write(landing, "carrier/batch-1.jsonl")
    _write(landing, "crm/batch-1.jsonl")
    _, cursor = _tick(repository, landing, home)
    _write(landing, "crm/batch-2.jsonl")

    request, _ = _tick(repository, landing, home, cursor)

    ingest = {key.to_user_string() for key in request.asset_selection if key.path[-1] == "events"}
    assert ingest == {"crm/events"}
    assert request.tags["recon/systems"] == "crm"


def test_the_same_listing_has_the_same_run_key(repository, landing, home):
    """A lost cursor update must not launch the same work twice: Dagster drops a run key it has seen."""
    _write(landing, "wms/batch-1.jsonl")
    first, _ = _tick(repository, landing, home)
    second, _ = _tick(repository, landing, home)
    assert first.run_key == second.run_key and first.run_key.startswith("landing:")


def test_a_rewritten_file_counts_as_changed(landing):
    _write(landing, "erp/batch-1.jsonl")
    before = landing_digests(landing)
    path = landing / "erp/batch-1.jsonl"
    path.write_text('{"event_id": "e2", "more": true}\n')
    os.utime(path, ns=(1, 1))
    assert changed_systems(before, landing_digests(landing)) == ["erp"]


def test_skipped_files_and_vanished_systems_launch_nothing(landing):
    _write(landing, "carrier/batch-1.jsonl")
    before = landing_digests(landing)
    _write(landing, "carrier/batch-2.jsonl.tmp")  # still being written: not a batch yet
    _write(landing, "unknown_system/batch.jsonl")
    assert changed_systems(before, landing_digests(landing)) == []
    assert changed_systems(before, {}) == []


def test_without_a_landing_zone_the_tick_says_how_to_set_it(repository, home):
    context = dg.build_sensor_context(
        repository_def=repository, resources={"recon": ReconResource(home=str(home.root))}
    )
    result = landing_sensor(context)
    assert result.skip_message == "no landing zone configured: pass --landing DIR (or set RECON_LANDING)"
