"""Ground truth: labels.csv is exactly what RULES.md finds in the landing zone, and clean orders are clean.

The check reads the written files with an independent rule engine (simulator_oracle), so a fault that
fires an unintended rule, or a clean flow that drifts past a threshold, fails here.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dagster_project.simulator import simulate
from dagster_project.simulator.labels import CLASSIFICATIONS, RULES
from dagster_project.simulator.vocab import STATUSES, UNMAPPED
from tests.simulator.simulator_oracle import STATES, Oracle, Variant, read_landing
from tests.simulator.support import AS_OF, Simulated, read_csv

AS_OF_SECONDS = int(AS_OF.timestamp())


def _labels(rows: list[dict[str, str]]) -> Counter:
    return Counter((r["order_id"], r["rule"], r["classification"], r["queue"], r["status"]) for r in rows)


@pytest.mark.parametrize(
    "variant",
    [
        Variant(),
        Variant(active_awb_as_of=True),
        Variant(carrier_decides_delivery=True),
        Variant(missing_ofd_is_inversion=True),
    ],
    ids=str,
)
def test_rules_find_exactly_the_labels(simulated: Simulated, variant: Variant) -> None:
    found = Counter(Oracle(simulated.rows, AS_OF_SECONDS, variant).divergences())
    expected = _labels(simulated.labels)
    assert found - expected == Counter(), "divergences the labels miss"
    assert expected - found == Counter(), "labels the rules do not find"


def test_clean_orders_have_no_divergence(simulated: Simulated) -> None:
    found = {d[0] for d in Oracle(simulated.rows, AS_OF_SECONDS).divergences()}
    clean = [o["order_id"] for o in simulated.orders if o["is_clean"] == "true"]
    assert len(clean) > 0.9 * len(simulated.orders)
    assert not found & set(clean)


def test_every_clean_flow_is_played(simulated: Simulated) -> None:
    statuses = {system: Counter(r.get("status") for r in rows) for system, rows in simulated.rows.items()}
    assert {"NDR", "RTO_INIT", "RTO_DLVD", "DLVD"} <= set(statuses["carrier"])
    assert {"REPLACEMENT_CREATED", "CANCELLED", "CLOSED", "RTO_DELIVERED"} <= set(statuses["oms"])
    assert {"CAPTURED", "COD_COLLECTED", "REFUND_INITIATED", "REFUNDED"} <= set(statuses["payments"])
    assert {"INVOICED", "REVENUE_RECOGNIZED", "CREDIT_NOTE"} <= set(statuses["erp"])
    events = Counter(r["event_type"] for r in simulated.rows["crm"])
    assert {"ticket_opened", "ticket_resolved", "exchange_requested", "refund_requested"} <= set(events)
    outcomes = Counter(r["outcome"] for r in simulated.rows["integration_log"])
    assert outcomes["delivered"] > 0.9 * sum(outcomes.values())


def test_unmapped_statuses_only_on_mapping_errors(simulated: Simulated) -> None:
    """Every native status is in RULES.md's table except the deliberate unmapped ones, which only orders
    labelled mapping_error carry."""
    for system, statuses in STATUSES.items():
        for status in statuses:
            assert ((system, status) in STATES) != (status in UNMAPPED.get(system, ())), (system, status)
    mapping = {label["order_id"] for label in simulated.labels if label["classification"] == "mapping_error"}
    carriers = {row["awb"]: row for row in simulated.rows["oms"] if row.get("awb")}
    for system, statuses in UNMAPPED.items():
        rows = [r for r in simulated.rows[system] if r["status"] in statuses]
        assert rows, system
        for row in rows:
            order_id = carriers[row["awb"]]["order_id"] if system == "carrier" else row["order_id"]
            assert order_id in mapping, row


@pytest.mark.slow
def test_every_rule_and_classification_at_twenty_thousand_orders(tmp_path: Path) -> None:
    result = simulate(20_000, 7, tmp_path, AS_OF)
    labels = read_csv(result.labels_path)
    rows, _, _ = read_landing(result.landing)
    assert Counter(Oracle(rows, AS_OF_SECONDS).divergences()) == _labels(labels)
    per_rule = Counter(label["rule"] for label in labels)
    assert set(per_rule) == set(RULES.values())
    assert min(per_rule.values()) >= 10, per_rule
    assert {label["classification"] for label in labels} == set(CLASSIFICATIONS)
    pairs = {(label["rule"], label["classification"]) for label in labels}
    for rule in (
        "delivery_status_conflict",
        "refund_before_return",
        "ticket_closed_before_order",
        "status_reversal",
    ):
        assert (rule, "manual_override") in pairs
    for rule in RULES.values():
        assert (rule, "mapping_error") in pairs or rule in ("ticket_closed_before_order", "missing_in_system")
    states = {(label["rule"], label["status"]) for label in labels}
    for rule in (
        "delivery_status_conflict",
        "revenue_not_recognized",
        "refund_before_return",
        "ticket_closed_before_order",
        "missing_in_system",
        "overdue_unfulfilled",
    ):
        assert {(rule, "open"), (rule, "resolved")} <= states, rule
    queues = {(label["rule"], label["queue"]) for label in labels}
    for rule in (
        "delivery_status_conflict",
        "rto_without_ndr",
        "revenue_not_recognized",
        "overdue_unfulfilled",
    ):
        assert (rule, "informational") in queues, rule
    faulty = {label["order_id"] for label in labels}
    assert 0.05 <= len(faulty) / 20_000 <= 0.1
