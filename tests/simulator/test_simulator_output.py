"""The simulator's outputs: determinism, the result, the files beside the landing zone, volumes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dagster_project.contract import SYSTEMS
from dagster_project.simulator import simulate
from dagster_project.simulator.catalogue import CATALOGUE, allocate
from tests.simulator.support import AS_OF, ORDERS, SEED, Simulated


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    first = simulate(400, 3, tmp_path / "a", AS_OF)
    second = simulate(400, 3, tmp_path / "b", AS_OF)
    assert first.files_written == second.files_written
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_another_seed_gives_other_files(tmp_path: Path) -> None:
    simulate(200, 1, tmp_path / "a", AS_OF)
    simulate(200, 2, tmp_path / "b", AS_OF)
    assert (tmp_path / "a" / "labels.csv").read_bytes() != (tmp_path / "b" / "labels.csv").read_bytes()


def test_as_of_defaults_to_the_current_hour(tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    result = simulate(30, 1, tmp_path, progress=None)
    assert result.as_of.tzinfo is not None and result.as_of.utcoffset() == timedelta(0)
    assert result.as_of.minute == result.as_of.second == result.as_of.microsecond == 0
    assert before <= result.as_of <= before + timedelta(hours=1)
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["as_of"] == result.as_of.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_naive_as_of_is_utc_and_an_offset_is_converted(tmp_path: Path) -> None:
    naive = simulate(20, 1, tmp_path / "a", datetime(2026, 3, 1, 5, 30))
    india = simulate(
        20, 1, tmp_path / "b", datetime(2026, 3, 1, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    )
    assert naive.as_of == datetime(2026, 3, 1, 5, 30, tzinfo=UTC)
    assert india.as_of == datetime(2026, 3, 1, 0, 0, tzinfo=UTC) and india.as_of.tzinfo == UTC


def test_refuses_to_write_into_a_used_landing_zone(tmp_path: Path) -> None:
    (tmp_path / "landing" / "oms").mkdir(parents=True)
    (tmp_path / "landing" / "oms" / "old.jsonl").write_text("{}\n")
    with pytest.raises(FileExistsError):
        simulate(10, 1, tmp_path, AS_OF)


def test_result_describes_the_run(simulated: Simulated) -> None:
    result = simulated.result
    assert (result.orders, result.seed, result.as_of) == (ORDERS, SEED, AS_OF)
    assert result.landing == result.out / "landing"
    assert result.labels == len(simulated.labels)
    assert result.bad_items == len(simulated.bad_input)
    assert result.files_written == sum(1 for p in result.landing.rglob("*") if p.is_file())


def test_manifest_matches_the_files(simulated: Simulated) -> None:
    manifest = json.loads(simulated.result.manifest_path.read_text())
    assert (manifest["seed"], manifest["orders"], manifest["as_of"]) == (SEED, ORDERS, "2026-03-01T00:00:00Z")
    assert manifest["files_written"] == simulated.result.files_written
    written = simulated.result.events_written
    assert manifest["events_written"] == written == sum(manifest["events_per_system"].values())
    assert manifest["events_per_system"] == {s: len(simulated.rows[s]) for s in SYSTEMS}
    assert manifest["labels"] == len(simulated.labels)
    assert manifest["orders_per_scenario"] == dict(
        zip([s.name for s in CATALOGUE], allocate(ORDERS).tolist(), strict=True)
    )


def test_orders_file_has_one_row_per_order_in_sequence(simulated: Simulated) -> None:
    orders = simulated.orders
    assert [o["order_id"] for o in orders] == [f"ORD-{n:07d}" for n in range(1, ORDERS + 1)]
    assert [o["created_at"] for o in orders] == sorted(o["created_at"] for o in orders)
    assert {o["is_clean"] for o in orders} == {"true", "false"}
    assert {o["scenario"] for o in orders} == {s.name for s in CATALOGUE}
    labelled = {label["order_id"] for label in simulated.labels}
    assert all((o["is_clean"] == "true") == (o["order_id"] not in labelled) for o in orders)


def test_about_five_to_ten_percent_of_orders_are_faulty(simulated: Simulated) -> None:
    faulty = sum(o["is_clean"] == "false" for o in simulated.orders)
    assert 0.05 <= faulty / ORDERS <= 0.12


def test_labels_file_columns_and_values(simulated: Simulated) -> None:
    header = simulated.result.labels_path.read_text().splitlines()[0]
    assert header == "order_id,rule,classification,queue,status"
    assert {label["classification"] for label in simulated.labels} == {
        "sync_delay",
        "mapping_error",
        "manual_override",
        "unknown",
    }
    assert {label["queue"] for label in simulated.labels} == {"action", "informational"}
    assert {label["status"] for label in simulated.labels} == {"open", "resolved"}
    key = re.compile(r"^(ORD-\d{7}|#\d{7}|ord-\d{7}|\d{7}|TEST-\d+|[A-Z]{2}\d{10})$")
    assert all(key.match(label["order_id"]) for label in simulated.labels)


def test_about_fifteen_events_per_order(simulated: Simulated) -> None:
    per_order = simulated.result.events_written / ORDERS
    assert 14 <= per_order <= 18, per_order
    for system in SYSTEMS:
        assert simulated.rows[system], f"no {system} events"


def test_progress_reports_what_happens(tmp_path: Path) -> None:
    lines: list[str] = []
    simulate(100, 1, tmp_path, AS_OF, progress=lines.append)
    assert lines[0].startswith("simulating 100 orders (seed 1, as of 2026-03-01T00:00:00+00:00)")
    assert lines[-1].startswith("done: ")
