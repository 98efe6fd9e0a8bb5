"""Exception sync: open per action cluster, no duplicates on reruns, attach, auto-resolve (also when rows
vanish), reopen, and informational divergences left out."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest

from dagster_project.errors import ReconError
from dagster_project.store import SyncResult, acknowledge, ignore, resolve, sync_exceptions, verify_audit
from tests.store.rows import HOUR, START, T0, audit, cluster, divergence, dump, exception, exceptions, links, outbox

NORTH = [
    divergence("d1", severity="medium", exposure="1000.00"),
    divergence("d2", severity="high", exposure="6000.00"),
    # Informational: in an action cluster, but never linked.
    divergence("d4", severity="high", exposure="9000.00", queue="informational"),
]
SOUTH = [divergence("d3", "c-south", severity="low", exposure="100.00", zone="south")]
INFO_ONLY = [divergence("d5", "c-info", queue="informational")]
CLUSTERS = [cluster("c-north"), cluster("c-south", zone="south"), cluster("c-info")]


def counts(**changed: int) -> dict[str, int]:
    """The result's counts: those given, every other one 0."""
    return SyncResult(**changed).counts()


def first_sync(store):
    return sync_exceptions(store, NORTH + SOUTH + INFO_ONLY, CLUSTERS, T0)


def with_status(rows, changes: dict[str, str]):
    """The rows with some divergences' status changed (a resolved one resolved at START + 5 h)."""

    def changed(row):
        status = changes.get(row["divergence_id"], row["status"])
        return {**row, "status": status, "resolved_at": START + 5 * HOUR if status == "resolved" else None}

    return [changed(row) for row in rows]


def test_first_sync_opens_one_exception_per_action_cluster(store):
    result = first_sync(store)

    assert result.counts() == counts(opened=2)
    assert [(m.exception_id, m.kind, m.channel) for m in result.messages] == [
        (1, "post_parent", "#logistics_ops"),
        (2, "post_parent", "#logistics_ops"),
    ]
    north, south = exceptions(store)
    assert (north.cluster_id, north.state, north.occurrence, north.severity) == ("c-north", "open", 1, "high")
    assert north.fingerprint == hashlib.sha256(b"cluster:c-north").hexdigest()
    assert (north.opened_at, north.sla_due_at, north.escalation_step) == (T0, T0 + 4 * HOUR, 0)
    assert (north.rule, north.owner_team, north.carrier, north.zone, north.bucket_start) == (
        "delivery_status_conflict", "logistics_ops", "bluekite", "north", START.replace(tzinfo=T0.tzinfo),
    )  # fmt: skip
    assert (south.cluster_id, south.severity, south.sla_due_at) == ("c-south", "low", T0 + 72 * HOUR)
    # d4 (informational) is not linked; c-info (informational only) opened nothing.
    assert sorted(links(store, 1)) == ["d1", "d2"]
    link = links(store, 1)["d2"]
    assert (link.status, link.severity, link.exposure_amount, link.order_id) == (
        "open",
        "high",
        Decimal("6000.00"),
        "order-d2",
    )
    assert (link.first_seen_at, link.last_seen_at, link.vanished_at) == (T0, T0, None)
    assert audit(store) == [
        (1, 1, "system:sync", "opened", None, "open", None),
        (2, 2, "system:sync", "opened", None, "open", None),
    ]
    parent = result.messages[0].payload
    assert parent["event"] == "opened"
    assert {k: parent["exception"][k] for k in ("state", "severity", "divergences", "open_divergences", "orders")} == {
        "state": "open", "severity": "high", "divergences": 2, "open_divergences": 2, "orders": 2,
    }  # fmt: skip
    assert (parent["exception"]["exposure_amount"], parent["exception"]["currency"]) == ("7000.00", "INR")
    assert [d["divergence_id"] for d in parent["exception"]["top_divergences"]] == ["d2", "d1"]
    assert parent["exception"]["sla_due_at"] == "2026-03-01T16:00:00.000000Z"


def test_rerun_with_the_same_rows_changes_nothing(store):
    first_sync(store)
    before = dump(store)

    again = first_sync(store)

    assert again.counts() == counts(unchanged=2)
    assert again.messages == ()
    assert dump(store) == before


def test_rerun_later_only_moves_last_seen(store):
    first_sync(store)
    before = dump(store)

    later = sync_exceptions(store, NORTH + SOUTH + INFO_ONLY, CLUSTERS, T0 + 2 * HOUR)

    assert later.counts() == counts(unchanged=2)
    assert later.messages == ()
    after = dump(store)
    assert {t: after[t] for t in ("exceptions", "audit_events", "slack_outbox")} == {
        t: before[t] for t in ("exceptions", "audit_events", "slack_outbox")
    }
    assert [(link.first_seen_at, link.last_seen_at) for link in links(store, 1).values()] == [(T0, T0 + 2 * HOUR)] * 2


def test_new_divergence_attaches_to_the_open_exception_with_a_thread_reply(store):
    first_sync(store)
    added = divergence("d6", severity="medium", exposure="500.00")

    result = sync_exceptions(store, [*NORTH, added, *SOUTH], CLUSTERS, T0 + HOUR)

    assert result.counts() == counts(attached=1, updated=1, unchanged=1)
    assert [(m.exception_id, m.kind, m.channel) for m in result.messages] == [(1, "thread_reply", "#logistics_ops")]
    reply = result.messages[0].payload
    assert (reply["event"], reply["count"], [d["divergence_id"] for d in reply["divergences"]]) == (
        "attached",
        1,
        ["d6"],
    )
    assert reply["exception"]["divergences"] == 3
    assert sorted(links(store, 1)) == ["d1", "d2", "d6"]
    assert links(store, 1)["d6"].first_seen_at == T0 + HOUR
    # Attaching is not a state change: no audit event; the exception stays as it was.
    assert [row[3] for row in audit(store)] == ["opened", "opened"]
    assert (exception(store).state, exception(store).severity, exception(store).updated_at) == (
        "open",
        "high",
        T0 + HOUR,
    )

    again = sync_exceptions(store, [*NORTH, added, *SOUTH], CLUSTERS, T0 + HOUR)
    assert again.counts() == counts(unchanged=2)
    assert again.messages == ()


def test_attaching_a_higher_severity_raises_the_exception_and_moves_its_sla(store):
    sync_exceptions(store, SOUTH, CLUSTERS, T0)
    assert (exception(store).severity, exception(store).sla_due_at) == ("low", T0 + 72 * HOUR)

    result = sync_exceptions(store, [*SOUTH, divergence("d7", "c-south", severity="high")], CLUSTERS, T0 + HOUR)

    assert result.counts() == counts(attached=1, updated=1)
    assert [m.kind for m in result.messages] == ["thread_reply", "update_parent"]
    # Still counted from when the exception opened.
    assert (exception(store).severity, exception(store).sla_due_at) == ("high", T0 + 4 * HOUR)
    assert audit(store)[-1] == (2, 1, "system:sync", "severity_changed", "open", "open", None)


def test_partial_resolution_lowers_severity_without_closing(store):
    first_sync(store)

    result = sync_exceptions(store, with_status(NORTH, {"d2": "resolved"}) + SOUTH, CLUSTERS, T0 + HOUR)

    assert result.counts() == counts(updated=1, unchanged=1)
    assert [m.kind for m in result.messages] == ["update_parent"]
    assert (exception(store).state, exception(store).severity, exception(store).sla_due_at) == (
        "open",
        "medium",
        T0 + 24 * HOUR,
    )
    assert (links(store)["d2"].status, links(store)["d2"].resolved_at) == (
        "resolved",
        (START + 5 * HOUR).replace(tzinfo=T0.tzinfo),
    )


def test_auto_resolves_when_every_divergence_is_resolved(store):
    first_sync(store)
    acknowledge(store, 1, "user:asha", now=T0 + HOUR)

    result = sync_exceptions(
        store, with_status(NORTH, {"d1": "resolved", "d2": "resolved"}) + SOUTH, CLUSTERS, T0 + 6 * HOUR
    )

    assert result.counts() == counts(auto_resolved=1, unchanged=1)
    assert [(m.exception_id, m.kind) for m in result.messages] == [(1, "update_parent")]
    assert result.messages[0].payload["event"] == "auto_resolved"
    row = exception(store)
    assert (row.state, row.closed_at, row.closed_reason) == (
        "auto_resolved",
        T0 + 6 * HOUR,
        "every divergence resolved",
    )
    assert audit(store)[-1] == (4, 1, "system:sync", "auto_resolved", "acknowledged", "auto_resolved", None)
    # Nothing more on a rerun.
    again = sync_exceptions(
        store, with_status(NORTH, {"d1": "resolved", "d2": "resolved"}) + SOUTH, CLUSTERS, T0 + 7 * HOUR
    )
    assert again.counts() == counts(unchanged=2)
    assert again.messages == ()


def test_a_vanished_divergence_counts_as_resolved_at_now(store):
    first_sync(store)

    # Both c-north rows are gone from the mart (the systems agree again).
    result = sync_exceptions(store, SOUTH, CLUSTERS, T0 + 3 * HOUR)

    assert result.counts() == counts(auto_resolved=1, unchanged=1)
    assert exception(store).state == "auto_resolved"
    for link in links(store).values():
        assert (link.status, link.resolved_at, link.vanished_at, link.last_seen_at) == (
            "resolved", T0 + 3 * HOUR, T0 + 3 * HOUR, T0,
        )  # fmt: skip
    assert audit(store)[-1] == (3, 1, "system:sync", "auto_resolved", "open", "auto_resolved", None)


def test_one_vanished_divergence_of_two_leaves_the_exception_open(store):
    first_sync(store)

    result = sync_exceptions(store, [NORTH[0], *SOUTH], CLUSTERS, T0 + HOUR)

    assert result.counts() == counts(updated=1, unchanged=1)
    assert (exception(store).state, exception(store).severity) == ("open", "medium")
    assert (links(store)["d2"].status, links(store)["d2"].vanished_at) == ("resolved", T0 + HOUR)


def test_a_divergence_turning_informational_leaves_the_action_queue(store):
    sync_exceptions(store, SOUTH, CLUSTERS, T0)

    result = sync_exceptions(store, [divergence("d3", "c-south", queue="informational")], CLUSTERS, T0 + HOUR)

    assert result.counts() == counts(auto_resolved=1)
    assert (links(store)["d3"].status, links(store)["d3"].vanished_at) == ("resolved", T0 + HOUR)


def test_reopens_when_a_divergence_is_open_again(store):
    resolved = with_status(NORTH, {"d1": "resolved", "d2": "resolved"})
    first_sync(store)
    sync_exceptions(store, resolved + SOUTH, CLUSTERS, T0 + 6 * HOUR)
    assert exception(store).state == "auto_resolved"

    result = sync_exceptions(store, with_status(NORTH, {"d1": "resolved"}) + SOUTH, CLUSTERS, T0 + 10 * HOUR)

    assert result.counts() == counts(reopened=1, unchanged=1)
    assert [(m.kind, m.payload["event"]) for m in result.messages] == [
        ("update_parent", "reopened"),
        ("thread_reply", "reopened"),
    ]
    assert [d["divergence_id"] for d in result.messages[1].payload["divergences"]] == ["d2"]
    row = exception(store)
    assert (row.state, row.occurrence, row.opened_at, row.sla_due_at, row.severity) == (
        "open", 2, T0 + 10 * HOUR, T0 + 14 * HOUR, "high",
    )  # fmt: skip
    assert (row.closed_at, row.closed_reason, row.escalation_step) == (None, None, 0)
    assert audit(store)[-1] == (4, 1, "system:sync", "reopened", "auto_resolved", "open", None)
    assert [key for _, _, _, _, key in outbox(store)][-2:] == ["update_parent:2:reopened", "thread_reply:2:reopened"]

    again = sync_exceptions(store, with_status(NORTH, {"d1": "resolved"}) + SOUTH, CLUSTERS, T0 + 11 * HOUR)
    assert again.counts() == counts(unchanged=2)


def test_a_new_open_divergence_reopens_a_resolved_exception(store):
    first_sync(store)
    resolve(store, 1, "user:asha", "carrier confirmed the deliveries by phone", now=T0 + HOUR)

    # The divergences still open when it was resolved do not reopen it...
    assert sync_exceptions(store, NORTH + SOUTH, CLUSTERS, T0 + 2 * HOUR).counts() == counts(unchanged=2)
    assert exception(store).state == "resolved"

    # ...a new one does, and is attached.
    result = sync_exceptions(store, [*NORTH, divergence("d8", severity="low"), *SOUTH], CLUSTERS, T0 + 3 * HOUR)

    assert result.counts() == counts(attached=1, reopened=1, unchanged=1)
    assert (exception(store).state, exception(store).assignee, exception(store).acknowledged_by) == ("open", None, None)
    assert audit(store)[-1] == (4, 1, "system:sync", "reopened", "resolved", "open", None)


def test_an_ignored_exception_stays_ignored_and_silent(store):
    first_sync(store)
    ignore(store, 1, "user:asha", "known carrier outage", now=T0 + HOUR)

    result = sync_exceptions(store, [*NORTH, divergence("d9"), *SOUTH], CLUSTERS, T0 + 2 * HOUR)

    assert result.counts() == counts(attached=1, updated=1, unchanged=1)
    assert result.messages == ()
    assert exception(store).state == "ignored_with_reason"
    assert sorted(links(store)) == ["d1", "d2", "d9"]


def test_informational_divergences_never_open_or_join(store):
    result = sync_exceptions(store, INFO_ONLY + [NORTH[2]], CLUSTERS, T0)

    assert result.counts() == counts()
    assert (exceptions(store), audit(store), outbox(store)) == ([], [], [])


def test_a_cluster_already_resolved_when_first_seen_opens_nothing(store):
    # E.g. a delivery conflict that lasted past grace and resolved: it is sync_delay now, a cluster of its own.
    result = sync_exceptions(store, [divergence("d10", "c-late", status="resolved")], [cluster("c-late")], T0)

    assert result.counts() == counts()
    assert exceptions(store) == []


def test_routes_to_the_owner_channel_given(store):
    result = sync_exceptions(store, SOUTH, CLUSTERS, T0, channels={"logistics_ops": "#ops-logistics"})

    assert [(m.kind, m.channel) for m in result.messages] == [("post_parent", "#ops-logistics")]
    assert exception(store).channel == "#ops-logistics"


def test_sla_hours_come_from_config(store):
    from dagster_project.config import SlaHoursConfig

    sync_exceptions(store, SOUTH, CLUSTERS, T0, sla_hours=SlaHoursConfig(low=10.0))

    assert exception(store).sla_due_at == T0 + 10 * HOUR


def test_iso_text_timestamps_read_like_datetimes(store):
    """The CSV/JSON export writes '2026-03-01T08:00:00Z'; the sync reads it as the same instant."""
    rows = [divergence("d1", divergence_start="2026-03-01T08:00:00Z", exposure_amount="1000.5")]

    sync_exceptions(store, rows, [cluster(bucket_start="2026-03-01T08:00:00Z")], T0)

    link = links(store)["d1"]
    assert (link.divergence_start, link.exposure_amount) == (START.replace(tzinfo=T0.tzinfo), Decimal("1000.50"))
    assert exception(store).bucket_start == START.replace(tzinfo=T0.tzinfo)


def test_an_empty_mart_does_not_resolve_everything(store):
    first_sync(store)

    with pytest.raises(ReconError) as error:
        sync_exceptions(store, [], CLUSTERS, T0 + HOUR)
    assert str(error.value) == (
        "no divergences given while 2 exceptions are active: refusing to auto-resolve them all "
        "(is fct_divergences empty?); pass allow_empty=True if the mart really is empty"
    )
    assert sync_exceptions(store, [], [], T0 + HOUR, allow_empty=True).counts() == counts(auto_resolved=2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "closed"}, "fct_divergences row 0 (d1): status 'closed' is not one of open, resolved"),
        ({"queue": None}, "fct_divergences row 0 (d1): queue None is not one of action, informational"),
        ({"severity": "urgent"}, "fct_divergences row 0 (d1): severity 'urgent' is not one of high, medium, low"),
        ({"cluster_id": None}, "fct_divergences row 0 (d1): cluster_id is missing"),
        (
            {"divergence_start": "yesterday"},
            "fct_divergences row 0 (d1): divergence_start: 'yesterday' is not a timestamp",
        ),
        ({"exposure_amount": "lots"}, "fct_divergences row 0 (d1): exposure_amount 'lots' is not a number"),
    ],
)
def test_bad_rows_are_refused_with_the_row_and_column(store, change, message):
    with pytest.raises(ReconError) as error:
        sync_exceptions(store, [{**divergence("d1"), **change}], CLUSTERS, T0)
    assert str(error.value) == message
    assert exceptions(store) == []


def test_a_repeated_divergence_id_is_refused(store):
    with pytest.raises(ReconError) as error:
        sync_exceptions(store, [divergence("d1"), divergence("d1")], CLUSTERS, T0)
    assert str(error.value) == "fct_divergences row 1 (d1): divergence_id appears more than once"


def test_sla_due_counts_from_opening_not_from_the_divergence(store):
    sync_exceptions(store, SOUTH, CLUSTERS, T0 + timedelta(minutes=30))

    assert exception(store).sla_due_at == T0 + timedelta(minutes=30) + 72 * HOUR


def test_a_dry_run_reports_what_the_sync_would_do_and_changes_nothing(store):
    sync_exceptions(store, [divergence("d1"), divergence("d2")], [cluster()], T0)
    before = dump(store)

    resolved = [divergence("d1", status="resolved"), divergence("d2", status="resolved")]
    result = sync_exceptions(store, resolved, [cluster()], T0 + HOUR, dry_run=True)

    assert (result.auto_resolved, result.unchanged, len(result.messages)) == (1, 0, 1)
    assert dump(store) == before
    assert verify_audit(store) == []
