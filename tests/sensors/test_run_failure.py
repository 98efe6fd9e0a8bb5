"""The run-failure sensor on a real failed run: one alert in the data team's channel, with the exact text, queued in
the store (audited) and delivered; the same failure again alerts nothing; Slack down keeps it in the outbox until
the next tick delivers it exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from dagster_project.store import pending_messages, verify_audit
from sensors import RunFailure, alert_run_failure, run_escalation, run_failure_alert_sensor, run_failure_of
from tests.store.rows import T0, audit

ERROR = "cannot read orders_<!here>.csv: not UTF-8"


@dg.op
def load_orders():
    raise ValueError(f"{ERROR}\nbyte 0xff at offset 12")


@dg.job
def nightly():
    load_orders()


@pytest.fixture
def failed(instance):
    """A real failed run of `nightly` on the persistent instance, and the context Dagster would hand the sensor."""
    result = nightly.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success

    def context(recon=None):
        return dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert_sensor",
            dagster_event=result.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            resources={"recon": recon} if recon else None,
        )

    ended = instance.get_run_record_by_id(result.run_id).end_time
    return result.run_id, datetime.fromtimestamp(ended, UTC), context


def test_the_failure_is_read_from_the_instance(failed):
    run_id, ended, context = failed

    failure = run_failure_of(context().for_run_failure())

    assert failure == RunFailure(
        job="nightly", run_id=run_id, steps=("load_orders",), error=f"ValueError: {ERROR}", failed_at=ended
    )


def test_one_alert_with_the_exact_text_then_nothing_for_the_same_run(failed, recon, store, slack):
    run_id, ended, context = failed

    result = run_failure_alert_sensor(context(recon))

    assert result.skip_message == (
        f"Run {run_id} of nightly failed at step load_orders: alert queued to #data-platform. Slack: 1 sent."
    )
    (message,) = slack.messages
    escaped = "ValueError: cannot read orders_&lt;!here&gt;.csv: not UTF-8"
    assert (message.channel, message.text) == (
        "C0DATAPLAT",
        f"Run failed: job nightly, run {run_id}, step load_orders: {escaped}",
    )
    assert message.blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": ":x: Run failed: nightly"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Job*\n`nightly`"},
                {"type": "mrkdwn", "text": f"*Run*\n`{run_id}`"},
                {"type": "mrkdwn", "text": "*Failed step*\n`load_orders`"},
                {"type": "mrkdwn", "text": f"*Failed at*\n{ended:%Y-%m-%d %H:%M} UTC"},
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Error*\n>{escaped}"}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "The run's full event log is in the Dagster UI; rerun it once the cause is fixed.",
                }
            ],
        },
    ]
    assert audit(store) == [(1, None, "system:alerts", "alerted", None, None, None)]

    again = run_failure_alert_sensor(context(recon))

    assert again.skip_message == f"Run {run_id} of nightly failed at step load_orders: already alerted. Slack: 0 sent."
    assert len(slack.messages) == 1
    assert len(audit(store)) == 1
    assert verify_audit(store) == []


def test_slack_down_keeps_the_alert_and_the_next_tick_delivers_it_once(failed, recon_home, store, slack):
    run_id, ended, context = failed
    failure = run_failure_of(context().for_run_failure())
    slack.fail_next(1, status=500, methods=["chat.postMessage"])

    summary = alert_run_failure(recon_home, failure, T0)

    assert summary == (
        f"Run {run_id} of nightly failed at step load_orders: alert queued to #data-platform. "
        "Slack: 0 sent, 1 left in the outbox (1 unavailable)."
    )
    assert slack.messages == []
    ((kind, attempts),) = [(m.kind, m.attempts) for m in pending_messages(store)]
    assert (kind, attempts) == ("alert", 1)

    # The next escalation tick sweeps the outbox: it looks for the earlier attempt, then posts once.
    assert run_escalation(recon_home, T0) == "Nothing to escalate. Slack: 1 sent."
    assert run_escalation(recon_home, T0) == "Nothing to escalate. Slack: 0 sent."
    assert [(m.channel, m.text.split(",")[0]) for m in slack.messages] == [("C0DATAPLAT", "Run failed: job nightly")]
    assert [(call.method, call.status) for call in slack.calls if call.method.startswith("c")] == [
        ("chat.postMessage", 500),
        ("conversations.list", 200),
        ("conversations.history", 200),
        ("chat.postMessage", 200),
    ]
    assert pending_messages(store) == []


def test_a_run_failed_from_outside_alerts_with_its_message(instance):
    """A run whose worker crashed, or could not build its plan, is marked failed by the daemon with a message and
    no failure data."""
    run = instance.create_run_for_job(nightly)
    instance.report_run_failed(run, "This run has been marked as failed from outside the execution context.")
    (event,) = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_event=event.dagster_event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run.run_id),
    )

    failure = run_failure_of(context.for_run_failure())

    assert (failure.job, failure.steps, failure.error) == (
        "nightly",
        (),
        "This run has been marked as failed from outside the execution context.",
    )
