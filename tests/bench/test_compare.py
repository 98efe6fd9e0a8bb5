"""The benchmark's delivery-conflict comparison on a small simulated zone: recon's marts, one DuckDB query,
pandas and datacompy give the same per-order answer (checked by checksum), recon's open R1 divergences are
exactly the disagreements older than grace, and the one-pass lower bound matches fct_order_state."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.compare import AS_OF, checksum, recon_conflicts, run_comparison
from bench.e2e import _span
from bench.measure import connect, pinned_env
from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline
from dagster_project.simulator import simulate

ORDERS = 400


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-compare")
    simulate(ORDERS, 7, root / "sim", as_of=AS_OF)
    home = Home(root / "home")
    run_pipeline(home, root / "sim" / "landing", AS_OF)
    return home.warehouse


@pytest.fixture(scope="module")
def comparison(warehouse):
    return run_comparison(warehouse, AS_OF)


def test_every_implementation_gives_recons_answer(comparison):
    implementations = comparison["implementations"]
    assert set(implementations) == {"recon", "duckdb_sql", "pandas", "datacompy"}
    assert comparison["checksums_equal"], {name: r["checksum"] for name, r in implementations.items()}
    diverged = {r["diverged"] for r in implementations.values()}
    assert len(diverged) == 1 and diverged.pop() > 0  # the zone has delivery conflicts to find
    assert all(r["orders"] == comparison["orders"] for name, r in implementations.items() if name != "recon")


def test_open_r1_divergences_are_the_disagreements_older_than_grace(comparison):
    r1 = comparison["r1"]
    assert r1["open_r1_divergences"] > 0
    assert r1["open_r1_all_diverged"]
    assert r1["open_r1_equals_lasting_longer_than_grace"]
    assert r1["diverged_orders"] == r1["open_r1_divergences"] + r1["diverged_within_grace"]


def test_lower_bound_matches_fct_order_state(comparison):
    bound = comparison["lower_bound"]
    assert bound["equal_to_fct_order_state"]
    assert bound["rows_checked_against_recon"] > comparison["orders"]  # several systems per order
    assert bound["events"] >= sum(comparison["input_rows"].values())


def test_checksum_tells_one_changed_phase(warehouse):
    with connect(warehouse) as conn:
        frame = recon_conflicts(conn)
    changed = frame.copy()
    row = changed.index[changed["oms_phase"].notna()][0]
    changed.loc[row, "oms_phase"] = "delivered" if changed.loc[row, "oms_phase"] != "delivered" else "cancelled"
    assert checksum(frame) == checksum(frame.sample(frac=1, random_state=1))  # row order does not matter
    assert checksum(changed) != checksum(frame)


def test_measured_processes_get_the_pinned_duckdb_threads():
    code = "import duckdb; print(duckdb.connect().sql(\"select current_setting('threads')\").fetchone()[0])"
    out = subprocess.run([sys.executable, "-c", code], env=pinned_env(1), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_span_counts_overlapping_nodes_once():
    assert _span([(0, 2), (1, 3), (5, 6)]) == 4
    assert _span([]) == 0
