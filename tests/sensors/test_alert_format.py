"""The alert message: untrusted text escaped, inside Slack's limits whatever a run says, and how an outbox alert
(no exception, no parent) becomes a top-level post."""

from __future__ import annotations

import json

import pytest

from dagster_project.slack import OutboxKind, outbox_item
from dagster_project.slack.blocks import format_pipeline_alert
from dagster_project.slack.limits import limit_violations
from dagster_project.store import OutboxMessage
from tests.store.rows import T0

HOSTILE = "<!channel> see https://evil.example/x?a=1&b=2 @here <@U1|admin> `tick`"


def test_a_huge_hostile_run_failure_stays_inside_slack_limits_and_inert():
    alert = {
        "event": "run_failed",
        "job": HOSTILE * 100,
        "run_id": "r-1",
        "steps": [f"step_{i}" for i in range(300)],
        "error": HOSTILE * 1000,
        "failed_at": "2026-03-01T12:00:00.000000Z",
    }

    message = format_pipeline_alert(alert)

    assert limit_violations(message) == []
    # Everything Slack parses (mrkdwn, the fallback text) is inert; the header is plain_text, never parsed.
    parsed = json.dumps([message["text"], message["blocks"][1:]])
    for raw in ("<!channel>", "<@U1", "https://evil", "@here"):
        assert raw not in parsed
    assert message["blocks"][0]["text"]["type"] == "plain_text"
    assert message["blocks"][1]["fields"][2]["text"].endswith("`step_4` and 295 more")
    assert message["blocks"][1]["fields"][3]["text"] == "*Failed at*\n2026-03-01 12:00 UTC"
    assert message["text"].startswith("Run failed: job &lt;!channel&gt; see https:\u200b//evil.example/x?a=1&amp;b=2")


def test_a_check_failure_without_job_or_description():
    message = format_pipeline_alert(
        {"event": "check_failed", "asset": "fct_divergences", "check": "not_null_fct_divergences_order_id",
         "severity": "ERROR", "run_id": "r-2", "job": None, "description": None, "evaluated_at": T0}
    )  # fmt: skip

    assert message == {
        "text": "Asset check failed (ERROR): not_null_fct_divergences_order_id on fct_divergences, run r-2",
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": ":red_circle: Asset check failed: not_null_fct_divergences_order_id on fct_divergences",
                },
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Asset*\n`fct_divergences`"},
                    {"type": "mrkdwn", "text": "*Check*\n`not_null_fct_divergences_order_id`"},
                    {"type": "mrkdwn", "text": "*Severity*\n:red_circle: ERROR"},
                    {"type": "mrkdwn", "text": "*Run*\n`r-2`"},
                    {"type": "mrkdwn", "text": "*Job*\n`—`"},
                    {"type": "mrkdwn", "text": "*Evaluated at*\n2026-03-01 12:00 UTC"},
                ],
            },
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": "The check's history is on the asset's page in the Dagster UI."}
                ],
            },
        ],
    }


def test_an_unknown_alert_is_refused():
    with pytest.raises(ValueError, match="unknown pipeline alert event 'disk_full'"):
        format_pipeline_alert({"event": "disk_full"})


def test_an_outbox_alert_is_a_top_level_post_with_no_parent():
    payload = {"event": "run_failed", "job": "nightly", "run_id": "r-1", "steps": [], "error": "boom", "failed_at": T0}
    message = OutboxMessage(
        id=7,
        exception_id=None,
        kind="alert",
        channel="#data-platform",
        idempotency_key="alert:run_failed:r-1",
        payload=payload,
        attempts=2,
    )

    item = outbox_item(message, now=T0)

    assert (item.id, item.kind, item.channel, item.thread_ts, item.attempts, item.owner_team) == (
        "7",
        OutboxKind.ALERT,
        "#data-platform",
        None,
        2,
        "data_platform",
    )
    assert (item.needs_parent, item.delivery_key) == (False, "alert:run_failed:r-1")
    assert item.payload == format_pipeline_alert(payload)
    assert item.payload["text"] == "Run failed: job nightly, run r-1: boom"
