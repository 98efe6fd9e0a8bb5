"""SLA escalation with a controlled clock: nothing before sla_due_at, one step after, never repeated, the next
step one SLA period later, every step audited and sent to its channel."""

from __future__ import annotations

from datetime import timedelta

from dagster_project.store import Escalation, acknowledge, escalate_due, sync_exceptions
from tests.store.rows import HOUR, T0, audit, cluster, divergence, exception, outbox

STEPS = {"logistics_ops": ["#logistics-leads", "#ops-director"]}
SECOND = timedelta(seconds=1)
# A medium exception opened at T0: due at T0 + 24 h, step 2 at T0 + 48 h.
DUE = T0 + 24 * HOUR


def open_medium(store, severity="medium", cluster_id="c-north", now=T0):
    sync_exceptions(store, [divergence(f"d-{cluster_id}", cluster_id, severity=severity)], [cluster(cluster_id)], now)


def test_nothing_before_due_then_one_step_never_repeated_then_step_two(store):
    open_medium(store)

    early = escalate_due(store, DUE - SECOND, STEPS)
    assert (early.escalations, early.messages) == ((), ())

    first = escalate_due(store, DUE, STEPS)
    assert first.escalations == (Escalation(1, 1, "#logistics-leads", DUE),)
    assert [(m.kind, m.channel, m.payload["step"], m.payload["due_at"]) for m in first.messages] == [
        ("escalation", "#logistics-leads", 1, "2026-03-02T12:00:00.000000Z")
    ]
    assert (exception(store).escalation_step, exception(store).escalated_at, exception(store).state) == (1, DUE, "open")

    assert escalate_due(store, DUE, STEPS).escalations == ()
    assert escalate_due(store, DUE + 24 * HOUR - SECOND, STEPS).escalations == ()

    second = escalate_due(store, DUE + 24 * HOUR, STEPS)
    assert second.escalations == (Escalation(1, 2, "#ops-director", DUE + 24 * HOUR),)

    # Two steps configured: nothing after the last.
    assert escalate_due(store, DUE + 240 * HOUR, STEPS).escalations == ()
    assert audit(store) == [
        (1, 1, "system:sync", "opened", None, "open", None),
        (2, 1, "system:escalation", "escalated", "open", "open", None),
        (3, 1, "system:escalation", "escalated", "open", "open", None),
    ]
    assert outbox(store)[1:] == [
        (2, 1, "escalation", "#logistics-leads", "escalation:1:1"),
        (3, 1, "escalation", "#ops-director", "escalation:1:2"),
    ]


def test_a_late_pass_catches_up_every_step_due(store):
    open_medium(store, severity="high")

    result = escalate_due(store, T0 + 9 * HOUR, STEPS)

    # High: due at T0 + 4 h, step 2 at T0 + 8 h.
    assert result.escalations == (
        Escalation(1, 1, "#logistics-leads", T0 + 4 * HOUR),
        Escalation(1, 2, "#ops-director", T0 + 8 * HOUR),
    )
    assert [row[3] for row in audit(store)] == ["opened", "escalated", "escalated"]


def test_acknowledged_exceptions_are_not_escalated(store):
    open_medium(store)
    acknowledge(store, 1, "user:asha", now=DUE - HOUR)

    assert escalate_due(store, DUE + 100 * HOUR, STEPS).escalations == ()
    assert exception(store).escalation_step == 0


def test_teams_without_steps_are_reported(store):
    open_medium(store)

    result = escalate_due(store, DUE, {"finance_ops": ["#finance-leads"]})

    assert (result.escalations, result.without_steps) == ((), ("logistics_ops",))
    assert len(audit(store)) == 1


def test_only_overdue_exceptions_move(store):
    rows = [divergence("d-a", "c-a", severity="high"), divergence("d-b", "c-b", severity="low")]
    sync_exceptions(store, rows, [cluster("c-a"), cluster("c-b")], T0)

    result = escalate_due(store, T0 + 5 * HOUR, STEPS)

    assert result.escalations == (Escalation(1, 1, "#logistics-leads", T0 + 4 * HOUR),)
    assert exception(store, 2).escalation_step == 0


def test_a_reopened_exception_escalates_from_step_one_again(store):
    open_medium(store)
    escalate_due(store, DUE, STEPS)
    sync_exceptions(store, [divergence("d-c-north", status="resolved")], [cluster()], DUE + HOUR)
    sync_exceptions(store, [divergence("d-c-north")], [cluster()], DUE + 2 * HOUR)
    reopened_due = DUE + 2 * HOUR + 24 * HOUR
    assert (exception(store).occurrence, exception(store).escalation_step) == (2, 0)

    result = escalate_due(store, reopened_due, STEPS)

    assert result.escalations == (Escalation(1, 1, "#logistics-leads", reopened_due),)
    assert outbox(store)[-1][4] == "escalation:2:1"
