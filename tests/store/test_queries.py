"""What `recon exceptions list|show` read: snapshots with counts over open divergences, and the audit trail."""

from __future__ import annotations

import pytest

from dagster_project.errors import ReconError
from dagster_project.store import acknowledge, list_exceptions, show_exception, sync_exceptions
from tests.store.rows import HOUR, T0, cluster, divergence


@pytest.fixture
def two(store):
    rows = [
        divergence("d1", exposure="1000.00"),
        divergence("d2", exposure="2500.50", status="resolved"),
        divergence("d3", "c-south", exposure="80.00", severity="low", zone="south"),
    ]
    sync_exceptions(store, rows, [cluster(), cluster("c-south", zone="south")], T0)
    acknowledge(store, 2, "user:asha", now=T0 + HOUR)
    return store


def test_list_with_counts_over_open_divergences(two):
    listed = list_exceptions(two)

    assert [
        (e["exception_id"], e["state"], e["divergences"], e["open_divergences"], e["exposure_amount"]) for e in listed
    ] == [(1, "open", 2, 1, "1000.00"), (2, "acknowledged", 1, 1, "80.00")]
    assert [e["exception_id"] for e in list_exceptions(two, states=["open"])] == [1]
    assert list_exceptions(two, owner_team="finance_ops") == []


def test_show_lists_every_divergence_and_the_trail(two):
    shown = show_exception(two, 1)

    assert [(d["divergence_id"], d["status"], d["exposure_amount"]) for d in shown["divergences"]] == [
        ("d2", "resolved", "2500.50"),
        ("d1", "open", "1000.00"),
    ]
    assert [(a["id"], a["action"], a["to_state"]) for a in shown["audit"]] == [(1, "opened", "open")]
    assert [(a["id"], a["actor"], a["action"]) for a in show_exception(two, 2)["audit"]] == [
        (2, "system:sync", "opened"),
        (3, "user:asha", "acknowledged"),
    ]
    with pytest.raises(ReconError, match="^no exception with id 7$"):
        show_exception(two, 7)
