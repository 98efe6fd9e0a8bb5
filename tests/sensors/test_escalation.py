"""The escalation sensor over a real store (SQLite, PostgreSQL) and the fake Slack, with a controlled clock: nothing
before sla_due_at, one escalation message after, none again on the next tick, the second step one SLA period later
when configured; the sensor itself evaluated by Dagster with the `recon` resource."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pytest

from dagster_project.slack import SlackConfigError
from dagster_project.store import pending_messages, sync_exceptions, verify_audit
from sensors import escalation_sensor, run_escalation
from tests.store.rows import HOUR, T0, audit, cluster, divergence, exception

SECOND = timedelta(seconds=1)
# A medium exception opened at T0: SLA due at T0 + 24 h (step 1), step 2 one SLA period later.
DUE = T0 + 24 * HOUR
PARENT_TEXT = (
    "[medium] delivery_status_conflict (unknown) for logistics_ops: 1 divergence in 1 order, INR 1,000.00 at risk, "
    "SLA due 2026-03-02 12:00 UTC"
)


def escalation_text(step: int) -> str:
    return (
        f"Escalation (step {step}): medium delivery_status_conflict for logistics_ops unacknowledged past SLA "
        "(due 2026-03-02 12:00 UTC), INR 1,000.00 at risk"
    )


def open_exception(store, home) -> None:
    sync_exceptions(store, [divergence("d1")], [cluster()], T0, channels=home.config().channels())


def posted(slack) -> list[tuple[str, str]]:
    return [(message.channel, message.text) for message in slack.messages]


def test_nothing_before_due_then_one_escalation_never_repeated(store, recon_home, slack):
    open_exception(store, recon_home)

    # The parent left in the outbox by the sync goes out with the first tick.
    assert run_escalation(recon_home, DUE - SECOND) == "Nothing to escalate. Slack: 1 sent."
    assert posted(slack) == [("C0LOGISTIC", PARENT_TEXT)]

    assert run_escalation(recon_home, DUE) == (
        "Escalated 1 step: exception 1 step 1 to #ops-escalations. Slack: 1 sent."
    )
    assert posted(slack) == [("C0LOGISTIC", PARENT_TEXT), ("C0ESCALATE", escalation_text(1))]

    # Default routing has one step: nothing more, ever.
    assert run_escalation(recon_home, DUE + HOUR) == "Nothing to escalate. Slack: 0 sent."
    assert run_escalation(recon_home, DUE + 240 * HOUR) == "Nothing to escalate. Slack: 0 sent."
    assert len(slack.messages) == 2
    assert audit(store) == [
        (1, 1, "system:sync", "opened", None, "open", None),
        (2, 1, "system:escalation", "escalated", "open", "open", None),
    ]
    assert (exception(store).escalation_step, exception(store).escalated_at) == (1, DUE)
    assert pending_messages(store) == []
    assert verify_audit(store) == []


def test_a_second_step_one_sla_period_later_when_configured(store, recon_home, slack):
    recon_home.config_file.write_text("owners:\n  logistics_ops:\n    escalation_steps: ['#ops-director']\n")
    open_exception(store, recon_home)

    assert run_escalation(recon_home, DUE) == (
        "Escalated 1 step: exception 1 step 1 to #ops-escalations. Slack: 2 sent."
    )
    assert run_escalation(recon_home, DUE + 24 * HOUR - SECOND) == "Nothing to escalate. Slack: 0 sent."
    assert run_escalation(recon_home, DUE + 24 * HOUR) == (
        "Escalated 1 step: exception 1 step 2 to #ops-director. Slack: 1 sent."
    )

    assert posted(slack) == [
        ("C0LOGISTIC", PARENT_TEXT),
        ("C0ESCALATE", escalation_text(1)),
        ("C0DIRECTOR", escalation_text(2)),
    ]
    assert [row[3] for row in audit(store)] == ["opened", "escalated", "escalated"]


def test_teams_without_steps_are_named(store, recon_home, slack):
    recon_home.config_file.write_text("owners:\n  logistics_ops:\n    escalation_channel: null\n")
    open_exception(store, recon_home)

    assert run_escalation(recon_home, DUE) == (
        "Nothing to escalate. Overdue but without escalation steps: logistics_ops "
        "(set owners.<team>.escalation_channel in recon.yaml). Slack: 1 sent."
    )


def test_the_sensor_evaluated_by_dagster_with_the_resource(store, recon_home, recon, slack):
    # Opened at T0, long before the real clock the sensor reads: its one step is overdue whenever this runs.
    open_exception(store, recon_home)

    result = escalation_sensor(dg.build_sensor_context(resources={"recon": recon}))

    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == "Escalated 1 step: exception 1 step 1 to #ops-escalations. Slack: 2 sent."
    assert [channel for channel, _ in posted(slack)] == ["C0LOGISTIC", "C0ESCALATE"]


def test_without_a_token_nothing_is_sent_or_printed(store, recon_home, monkeypatch, capsys):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    open_exception(store, recon_home)

    summary = run_escalation(recon_home, DUE)

    assert summary == (
        "Escalated 1 step: exception 1 step 1 to #ops-escalations. "
        "Slack: SLACK_BOT_TOKEN is not set, so the messages wait in the outbox."
    )
    assert capsys.readouterr().out == ""
    assert [(m.kind, m.channel) for m in pending_messages(store)] == [
        ("post_parent", "#logistics-ops"),
        ("escalation", "#ops-escalations"),
    ]


def test_a_bad_token_fails_the_tick_after_the_escalation_is_kept(store, recon_home, slack):
    open_exception(store, recon_home)
    slack.set_auth_error("invalid_auth")

    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN is invalid or revoked"):
        run_escalation(recon_home, DUE)

    assert [row[3] for row in audit(store)] == ["opened", "escalated"]
    assert [m.kind for m in pending_messages(store)] == ["post_parent", "escalation"]
    slack.set_auth_error(None)
    assert run_escalation(recon_home, DUE + HOUR) == "Nothing to escalate. Slack: 2 sent."
