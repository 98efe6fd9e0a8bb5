"""Divergence exports: exact columns, stable across reruns and homes, and the `recon order` view."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from dagster_project.cli import main
from dagster_project.home import Home
from dagster_project.marts import DIVERGENCE_COLUMNS
from dagster_project.pipeline import run_pipeline
from dagster_project.simulator import simulate

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    root = tmp_path_factory.mktemp("exports")
    sim = simulate(600, 11, root / "sim", as_of=AS_OF)
    first, second = Home(root / "first"), Home(root / "second")
    run_pipeline(first, sim.landing, AS_OF)
    run_pipeline(second, sim.landing, AS_OF)
    return first, second, sim


def export(home: Home, capsys, *args: str) -> str:
    assert main(["divergences", "--home", str(home.root), *args]) == 0
    return capsys.readouterr().out


def test_csv_has_exactly_the_interface_columns(simulated, capsys):
    first, _, sim = simulated
    rows = list(csv.DictReader(io.StringIO(export(first, capsys, "--format", "csv"))))
    assert tuple(rows[0].keys()) == DIVERGENCE_COLUMNS
    labels = sum(1 for _ in sim.labels_path.open()) - 1
    assert len(rows) == labels
    assert all(r["divergence_start"].endswith("Z") and "T" in r["divergence_start"] for r in rows)
    assert {r["status"] for r in rows} <= {"open", "resolved"}


def test_exports_are_byte_identical_across_homes_and_reruns(simulated, capsys, tmp_path):
    first, second, sim = simulated
    before = export(first, capsys, "--format", "csv")
    assert export(second, capsys, "--format", "csv") == before
    report = run_pipeline(first, sim.landing, AS_OF)  # nothing new: same files
    assert report.nothing_new
    assert export(first, capsys, "--format", "csv") == before
    out = tmp_path / "divergences.csv"
    assert main(["divergences", "--home", str(first.root), "--format", "csv", "--out", str(out)]) == 0
    assert out.read_bytes() == before.encode()


def test_filters_and_json(simulated, capsys):
    first, _, _ = simulated
    all_rows = json.loads(export(first, capsys, "--format", "json"))
    open_rows = json.loads(export(first, capsys, "--format", "json", "--open"))
    r1 = json.loads(export(first, capsys, "--format", "json", "--rule", "delivery_status_conflict"))
    assert len(open_rows) == sum(r["status"] == "open" for r in all_rows)
    assert len(r1) == sum(r["rule"] == "delivery_status_conflict" for r in all_rows) > 0
    assert {r["rule"] for r in r1} == {"delivery_status_conflict"}


def test_unknown_rule_is_named(simulated, capsys):
    first, _, _ = simulated
    assert main(["divergences", "--home", str(first.root), "--rule", "late"]) == 2
    assert capsys.readouterr().err.startswith("recon: error: --rule late: no such rule; rules are amount_mismatch,")


def test_order_view_marks_the_first_divergence_point(simulated, capsys):
    first, _, _ = simulated
    rows = json.loads(export(first, capsys, "--format", "json", "--rule", "delivery_status_conflict"))
    order_id = rows[0]["order_id"]
    assert main(["order", "--home", str(first.root), "#" + order_id.removeprefix("ORD-")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Order {order_id}\n")
    assert "first divergence point" in out
    assert f"delivery_status_conflict [{rows[0]['classification']}, {rows[0]['queue']}, {rows[0]['status']}]" in out
    assert rows[0]["summary"] in out
    assert "\nSummary: " in out


def test_unknown_order(simulated, capsys):
    first, _, _ = simulated
    assert main(["order", "--home", str(first.root), "ORD-9999999"]) == 2
    assert "order 'ORD-9999999' is not in the warehouse" in capsys.readouterr().err
