"""dbt vars fed from recon.yaml: extra status mappings, thresholds, and as_of's default and parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.dbt.recon_dbt_harness import Scenarios, at, run_dbt

NOW = datetime.now(UTC).replace(microsecond=0)
SCENARIOS = Scenarios()
scenario = SCENARIOS.add


@pytest.fixture(scope="module")
def marts(marts_for):
    # as_of unset: the run's start time. grace widened to 3 h. Two extra mappings.
    return marts_for(
        SCENARIOS,
        as_of=None,
        grace_minutes=180,
        status_map_extra={"oms": {"DELIVERD": "delivered"}, "carrier": {"DELIVERED_OK": "delivered"}},
    )


@scenario
def extra_mappings(ev):
    # Both would be unmapped with the seed alone (a mapping_error R1); the extra mappings fix them.
    ev.order("ORD-CFG-OMS-MAPPED", skip={"oms:DELIVERED"})
    ev.oms("ORD-CFG-OMS-MAPPED", "DELIVERD", at(22))
    awb = ev.order("ORD-CFG-CARRIER-MAPPED", skip={"carrier:DLVD"})
    ev.carrier(awb, "DELIVERED_OK", at(22))
    # Still unmapped: kept and flagged.
    ev.order("ORD-CFG-UNMAPPED", skip={"oms:DELIVERED"})
    ev.oms("ORD-CFG-UNMAPPED", "DELIVERED!!", at(22))


def test_status_map_extra_maps_new_native_statuses(marts):
    assert marts.divergences("ORD-CFG-OMS-MAPPED", "ORD-CFG-CARRIER-MAPPED") == []
    [mapping] = marts.rows(
        "select canonical_state, delivery_rank, mapping_source from main.stg_recon__status_map"
        " where system = 'carrier' and native_status = 'DELIVERED_OK'"
    )
    assert mapping == {"canonical_state": "delivered", "delivery_rank": 6, "mapping_source": "status_map_extra"}


def test_a_status_with_no_mapping_is_kept_and_flagged(marts):
    [event] = marts.rows(
        "select canonical_state, is_unmapped from main.stg_oms__events"
        " where order_id = 'ORD-CFG-UNMAPPED' and native_status = 'DELIVERED!!'"
    )
    assert event == {"canonical_state": "unmapped", "is_unmapped": True}
    assert marts.divergences("ORD-CFG-UNMAPPED", columns="rule, classification, owner_team") == [
        {"rule": "delivery_status_conflict", "classification": "mapping_error", "owner_team": "integrations"}
    ]


@scenario
def wider_grace(ev):
    # 2 h 01 min fires under the default grace; not under grace_minutes = 180.
    ev.order("ORD-CFG-GRACE", times={"oms:DELIVERED": at(22, 121)})
    ev.order("ORD-CFG-GRACE-PAST", times={"oms:DELIVERED": at(22, 181)})


def test_grace_comes_from_the_var(marts):
    assert marts.divergences("ORD-CFG-GRACE") == []
    assert [r["rule"] for r in marts.divergences("ORD-CFG-GRACE-PAST")] == ["delivery_status_conflict"]


@scenario
def relative_to_now(ev):
    in_transit = {
        "carrier:OFD",
        "oms:OUT_FOR_DELIVERY",
        "crm:Out for Delivery",
        "carrier:DLVD",
        "oms:DELIVERED",
        "crm:Delivered",
        "erp:REVENUE_RECOGNIZED",
    }
    start = NOW - timedelta(hours=30)
    ev.order("ORD-CFG-OVERDUE", start, skip=in_transit, promised_by=NOW - timedelta(hours=1))
    ev.order("ORD-CFG-NOT-DUE", start, skip=in_transit, promised_by=NOW + timedelta(hours=3))


def test_as_of_defaults_to_the_run_start(marts):
    assert [r["rule"] for r in marts.divergences("ORD-CFG-OVERDUE")] == ["overdue_unfulfilled"]
    assert marts.divergences("ORD-CFG-NOT-DUE") == []


def test_as_of_with_an_offset_is_read_as_utc(tmp_path):
    """`--as-of 2026-03-10T17:30:00+05:30` is 12:00 UTC: the compiled literal says so."""
    result = run_dbt(
        ["compile", "--vars", '{"as_of": "2026-03-10T17:30:00+05:30"}', "--inline", "select {{ recon.as_of() }}"],
        tmp_path,
        RECON_WAREHOUSE=str(tmp_path / "unused.duckdb"),
    )
    assert result.success, result.exception
    assert "cast('2026-03-10 12:00:00' as timestamp)" in result.result.results[0].node.compiled_code
