"""The asset-check sensor on real runs: failed checks of a successful run (WARN, as a dbt test set to warn) alert the
data team once per (run, asset, check), with the exact text; a second tick alerts nothing; the cursor over run-end
events pages without skipping; Slack down keeps the alert until the next tick delivers it exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from dagster_project.home import STORE_URL_ENV
from dagster_project.store import pending_messages, verify_audit
from sensors import CheckFailure, alert_failed_checks, asset_check_alert_sensor, run_escalation
from sensors.asset_checks import failed_checks, runs_ended_after
from tests.store.rows import T0, audit

DESCRIPTION = "3 duplicate order ids, e.g. <@U999> ORD-7"


@dg.asset(key=["marts", "orders"])
def orders():
    return 3


@dg.asset_check(asset=orders, description="No order id twice.")
def orders_unique():
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, description=DESCRIPTION)


@dg.asset_check(asset=orders)
def orders_reconciled():
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)


@dg.asset_check(asset=orders)
def orders_not_empty():
    return dg.AssetCheckResult(passed=True)


@dg.op
def broken():
    raise RuntimeError("boom")


@dg.job
def failing():
    broken()


def materialize(instance) -> str:
    """A successful run whose checks fail (two of three): returns its run id."""
    result = dg.materialize([orders, orders_unique, orders_reconciled, orders_not_empty], instance=instance)
    assert result.success
    return result.run_id


def evaluated_at(instance, run_id: str, check: str) -> datetime:
    (record,) = [
        record
        for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
        if record.event_log_entry.dagster_event.asset_check_evaluation_data.check_name == check
    ]
    return datetime.fromtimestamp(record.event_log_entry.timestamp, UTC)


def tick(instance, recon, cursor: str | None) -> tuple[str, str]:
    """One evaluation of the sensor by Dagster: its skip message and the cursor it leaves."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"recon": recon})
    result = asset_check_alert_sensor(context)
    assert isinstance(result, dg.SkipReason)
    return result.skip_message, context.cursor


def test_failed_checks_of_a_successful_run_alert_once(instance, recon, store, slack):
    started, cursor = tick(instance, recon, None)
    assert (started, cursor) == ("Started: failed asset checks of runs ending after event -1 will be alerted.", "-1")

    run_id = materialize(instance)
    summary, cursor = tick(instance, recon, cursor)

    assert summary == (
        f"1 run ended: 2 failed asset checks, orders_reconciled on marts/orders (ERROR, run {run_id}), "
        f"orders_unique on marts/orders (WARN, run {run_id}); 2 alerted to #data-platform. Slack: 2 sent."
    )
    escaped = "3 duplicate order ids, e.g. &lt;@U999&gt; ORD-7"
    # In the order the checks were evaluated (the run executes check steps by step key).
    assert [(m.channel, m.text) for m in slack.messages] == [
        ("C0DATAPLAT", f"Asset check failed (ERROR): orders_reconciled on marts/orders, run {run_id}"),
        ("C0DATAPLAT", f"Asset check failed (WARN): orders_unique on marts/orders, run {run_id}: {escaped}"),
    ]
    at = evaluated_at(instance, run_id, "orders_unique")
    assert slack.messages[1].blocks == [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": ":warning: Asset check failed: orders_unique on marts/orders"},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Asset*\n`marts/orders`"},
                {"type": "mrkdwn", "text": "*Check*\n`orders_unique`"},
                {"type": "mrkdwn", "text": "*Severity*\n:warning: WARN"},
                {"type": "mrkdwn", "text": f"*Run*\n`{run_id}`"},
                {"type": "mrkdwn", "text": "*Job*\n`__ephemeral_asset_job__`"},
                {"type": "mrkdwn", "text": f"*Evaluated at*\n{at:%Y-%m-%d %H:%M} UTC"},
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Description*\n>{escaped}"}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "The check's history is on the asset's page in the Dagster UI."}],
        },
    ]
    assert [row[2:4] for row in audit(store)] == [("system:alerts", "alerted")] * 2

    assert tick(instance, recon, cursor) == ("0 runs ended: no failed asset check.", cursor)
    assert len(slack.messages) == 2
    assert verify_audit(store) == []


def test_a_reset_cursor_reads_the_run_again_but_alerts_nothing_new(instance, recon_home, slack):
    run_id = materialize(instance)

    cursor, first = alert_failed_checks(instance, recon_home, -1, T0)
    again = alert_failed_checks(instance, recon_home, -1, T0)

    assert first == (
        f"1 run ended: 2 failed asset checks, orders_reconciled on marts/orders (ERROR, run {run_id}), "
        f"orders_unique on marts/orders (WARN, run {run_id}); 2 alerted to #data-platform. Slack: 2 sent."
    )
    assert again == (
        cursor,
        f"1 run ended: 2 failed asset checks, orders_reconciled on marts/orders (ERROR, run {run_id}), "
        f"orders_unique on marts/orders (WARN, run {run_id}); 0 alerted to #data-platform, 2 already alerted. "
        "Slack: 0 sent.",
    )
    assert len(slack.messages) == 2


@pytest.fixture
def unreachable_store(home, monkeypatch):
    """A home whose store cannot be opened: a tick that touched it would fail."""
    monkeypatch.setenv(STORE_URL_ENV, "postgresql://nobody@127.0.0.1:9/none")
    return home


def test_ticks_with_nothing_to_alert_never_open_the_store(instance, unreachable_store):
    failing.execute_in_process(instance=instance, raise_on_error=False)

    assert alert_failed_checks(instance, unreachable_store, -1, T0)[1] == "1 run ended: no failed asset check."


def test_the_first_tick_starts_after_history(instance, unreachable_store):
    materialize(instance)

    cursor, started = alert_failed_checks(instance, unreachable_store, None, T0)

    (run_end,), _ = runs_ended_after(instance, -1)
    assert (cursor, started) == (
        run_end.storage_id,
        f"Started: failed asset checks of runs ending after event {run_end.storage_id} will be alerted.",
    )
    nothing_new = alert_failed_checks(instance, unreachable_store, cursor, T0)
    assert nothing_new == (cursor, "0 runs ended: no failed asset check.")


def test_the_cursor_pages_over_run_end_events_without_skipping(instance):
    first = materialize(instance)
    failed = failing.execute_in_process(instance=instance, raise_on_error=False).run_id
    second = materialize(instance)

    pages, cursor = [], -1
    while True:
        runs, next_cursor = runs_ended_after(instance, cursor, limit=1)
        if not runs:
            break
        pages.append([run.event_log_entry.run_id for run in runs])
        cursor = next_cursor

    # One event per type and page: the failure, newer than the first success, waits until that success is read,
    # and is read before the second success.
    assert pages == [[first], [failed], [second]]
    assert runs_ended_after(instance, cursor, limit=1) == ([], cursor)


def test_the_failures_are_read_from_the_run(instance):
    run_id = materialize(instance)

    assert failed_checks(instance, run_id) == [
        CheckFailure(
            run_id=run_id,
            job="__ephemeral_asset_job__",
            asset="marts/orders",
            check="orders_reconciled",
            severity="ERROR",
            description=None,
            evaluated_at=evaluated_at(instance, run_id, "orders_reconciled"),
        ),
        CheckFailure(
            run_id=run_id,
            job="__ephemeral_asset_job__",
            asset="marts/orders",
            check="orders_unique",
            severity="WARN",
            description=DESCRIPTION,
            evaluated_at=evaluated_at(instance, run_id, "orders_unique"),
        ),
    ]


def test_slack_down_keeps_the_alerts_and_the_next_tick_delivers_each_once(instance, recon_home, store, slack):
    run_id = materialize(instance)
    slack.fail_next(1, status=500, methods=["chat.postMessage"])

    _, summary = alert_failed_checks(instance, recon_home, -1, T0)

    # The first post fails; Slack being unavailable stops the pass, so the second is not attempted.
    assert summary == (
        f"1 run ended: 2 failed asset checks, orders_reconciled on marts/orders (ERROR, run {run_id}), "
        f"orders_unique on marts/orders (WARN, run {run_id}); 2 alerted to #data-platform. "
        "Slack: 0 sent, 2 left in the outbox (1 not attempted, 1 unavailable)."
    )
    assert slack.messages == []
    assert [(m.kind, m.attempts) for m in pending_messages(store)] == [("alert", 1), ("alert", 0)]

    assert run_escalation(recon_home, T0) == "Nothing to escalate. Slack: 2 sent."
    assert run_escalation(recon_home, T0) == "Nothing to escalate. Slack: 0 sent."
    assert [m.text.split(":")[0] for m in slack.messages] == [
        "Asset check failed (ERROR)",
        "Asset check failed (WARN)",
    ]
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [500, 200, 200]
    assert pending_messages(store) == []
