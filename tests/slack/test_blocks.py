"""Block Kit payloads, compared as dicts; escaping of what came from sources; Slack's limits."""

from __future__ import annotations

from datetime import datetime

import pytest

from dagster_project.slack.blocks import (
    CHECK_FIRST,
    format_escalation,
    format_exception_blocks,
    format_resolved_update,
    format_thread_reply,
    what_to_check_first,
)
from dagster_project.slack.escape import ZWSP
from dagster_project.slack.limits import MAX_BLOCKS, join_lines, limit_violations, truncate
from tests.slack.samples import HOSTILE_ORDER_ID, divergence, divergences, exception

TOP_TWO = [
    divergence("ORD-0001553", 49_450.5, "ERP recorded INR 49950.00 against INR 499.50."),
    divergence("ORD-0000839", 98_901.0, "ERP recorded INR 99900.00 against INR 999.00 (mapping error)."),
]


def _field(label: str, value: str) -> dict:
    return {"type": "mrkdwn", "text": f"*{label}*\n{value}"}


FIELDS = {
    "type": "section",
    "fields": [
        _field("Rule", "`amount_mismatch`"),
        _field("Classification", "mapping error"),
        _field("Owner", "integrations"),
        _field("Severity", ":red_circle: high"),
        _field("Counts", "2 divergences in 2 orders"),
        _field("Exposure", "INR 148,351.50"),
        _field("SLA due", "2026-02-10 00:30 UTC"),
        _field("Status", "open"),
        _field("Scope", "carrier parcelwave · zone B"),
    ],
}
TOP_ORDERS = {
    "type": "section",
    "text": {
        "type": "mrkdwn",
        "text": "*Top 2 of 2 orders by exposure*\n"
        "• `ORD-0000839` · INR 98,901.00 · ERP recorded INR 99900.00 against INR 999.00 (mapping error).\n"
        "• `ORD-0001553` · INR 49,450.50 · ERP recorded INR 49950.00 against INR 499.50.",
    },
}
REFERENCE = {
    "type": "context",
    "elements": [{"type": "mrkdwn", "text": "Exception `exc-7f3a` · cluster `7647d7da` · opened 2026-02-09 20:30 UTC"}],
}


def _button(action_id: str, text: str, **extra) -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": "exc-7f3a",
        **extra,
    }


def test_exception_message():
    assert format_exception_blocks(exception(), TOP_TWO) == {
        "text": "[high] amount_mismatch (mapping error) for integrations: 2 divergences in 2 orders, "
        "INR 148,351.50 at risk, SLA due 2026-02-10 00:30 UTC",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": ":red_circle: Amount mismatch: mapping error"}},
            FIELDS,
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*What to check first:* Check currency and minor-unit conversion (one amount exactly "
                    "100× the other) in the ERP / payments field mapping.",
                },
            },
            {"type": "divider"},
            TOP_ORDERS,
            REFERENCE,
            {
                "type": "actions",
                "block_id": "recon_exception_actions",
                "elements": [
                    _button("recon_ack", "Acknowledge"),
                    _button("recon_assign_me", "Assign to me"),
                    # No confirm dialog: the Slack app opens a modal asking for the reason.
                    _button("recon_resolve", "Resolve", style="primary"),
                    # Computes the replay, changing nothing; the Slack app posts the plan in the thread.
                    _button("recon_replay_dry_run", "Replay (dry run)"),
                ],
            },
        ],
    }


def test_counts_and_exposure_come_from_the_divergences_when_the_exception_lacks_them():
    bare = exception(divergence_count=None, order_count=None, exposure_amount=None, currency=None)
    bare.pop("carrier"), bare.pop("zone")
    blocks = format_exception_blocks(bare, [*TOP_TWO, divergence("ORD-0000839", 10.0)])["blocks"]
    fields = blocks[1]["fields"]
    assert _field("Counts", "3 divergences in 2 orders") in fields
    assert _field("Exposure", "INR 148,361.50") in fields
    assert not any(f["text"].startswith("*Scope*") for f in fields)
    # One line per order, at its largest exposure.
    assert blocks[4]["text"]["text"].count("ORD-0000839") == 1


def test_state_change_reply():
    change = {
        "to_status": "assigned",
        "from_status": "ack",
        "actor": "asha",
        "assignee": "ravi",
        "at": datetime(2026, 2, 9, 21, 5),
        "note": "looking at the ERP mapping",
    }
    line = (
        ":bust_in_silhouette: *Assigned* to ravi by asha at 2026-02-09 21:05 UTC (was ack)\n>looking at the ERP mapping"
    )
    assert format_thread_reply(exception(), status_change=change) == {
        "text": line,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": line}}],
    }


def test_new_divergences_reply():
    assert format_thread_reply(exception(), new_divergences=TOP_TWO) == {
        "text": "2 new divergences in amount_mismatch for integrations: ORD-0000839, ORD-0001553",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*2 new divergences* joined this exception · INR 148,351.50 more at risk",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "`ORD-0000839` · INR 98,901.00 · "
                    "ERP recorded INR 99900.00 against INR 999.00 (mapping error).",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "`ORD-0001553` · INR 49,450.50 · ERP recorded INR 49950.00 against INR 499.50.",
                },
            },
        ],
    }


def test_a_reply_needs_something_to_say():
    with pytest.raises(ValueError, match="needs new divergences or a status change"):
        format_thread_reply(exception())


def test_resolved_update_keeps_the_facts_and_drops_the_buttons():
    payload = format_resolved_update(
        exception(), TOP_TWO, resolved_by="ravi", resolved_at=datetime(2026, 2, 10, 9, 0), note="fixed minor units"
    )
    resolved_fields = {**FIELDS, "fields": [*FIELDS["fields"][:7], _field("Status", "resolved"), FIELDS["fields"][8]]}
    assert payload == {
        "text": "Resolved by ravi: amount_mismatch (mapping error) for integrations, 2 divergences in 2 orders",
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": ":white_check_mark: Resolved: Amount mismatch: mapping error"},
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": ":white_check_mark: *Resolved* by ravi at 2026-02-10 09:00 UTC\n>fixed minor units",
                },
            },
            resolved_fields,
            {"type": "divider"},
            TOP_ORDERS,
            REFERENCE,
        ],
    }


def test_auto_resolved_update():
    payload = format_resolved_update(exception(resolved_at="2026-02-10T09:00:00Z"), TOP_TWO)
    assert payload["text"].startswith("Resolved automatically: amount_mismatch")
    assert payload["blocks"][1]["text"]["text"] == (
        ":white_check_mark: *Auto-resolved* at 2026-02-10 09:00 UTC: the systems agree again"
    )
    assert _field("Status", "auto-resolved") in payload["blocks"][2]["fields"]


def test_escalation():
    payload = format_escalation(
        exception(),
        now=datetime(2026, 2, 10, 3, 45),
        step=2,
        original_link="https://fake.slack.com/archives/C0INTEGRAT/p1760000001000001",
    )
    assert payload["text"] == (
        "Escalation (step 2): high amount_mismatch for integrations unacknowledged past SLA "
        "(due 2026-02-10 00:30 UTC), INR 148,351.50 at risk"
    )
    assert payload["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": ":rotating_light: Escalation: Amount mismatch unacknowledged past SLA"},
    }
    assert payload["blocks"][1]["text"]["text"] == (
        "*integrations* has not acknowledged this high exception: SLA was due 2026-02-10 00:30 UTC (3 h 15 min ago). "
        "Escalation step 2.\n<https://fake.slack.com/archives/C0INTEGRAT/p1760000001000001|Open the original message "
        "and its thread>"
    )
    assert payload["blocks"][2] == FIELDS
    assert [e["action_id"] for e in payload["blocks"][-1]["elements"]] == ["recon_ack", "recon_assign_me"]


def test_escalation_refuses_a_link_that_is_not_a_plain_https_url():
    for link in ("javascript:alert(1)", "https://x|y>", "http://plain.example/"):
        text = format_escalation(exception(), now=datetime(2026, 2, 10, 3, 45), original_link=link)["blocks"][1]
        assert "<" not in text["text"]


def test_what_to_check_first_covers_every_classification():
    assert set(CHECK_FIRST) == {"mapping_error", "sync_delay", "manual_override", "unknown"}
    assert "status map / field mapping" in what_to_check_first("delivery_status_conflict", "mapping_error")
    assert "time-zone" in what_to_check_first("timeline_sequence_error", "mapping_error")
    assert what_to_check_first("status_reversal", "something_new") == CHECK_FIRST["unknown"]


def test_exception_without_id_is_refused():
    with pytest.raises(ValueError, match="exception_id"):
        format_exception_blocks(exception(exception_id=None), TOP_TWO)


# ---------------------------------------------------------------- escaping in payloads


def test_hostile_order_id_and_summary_arrive_escaped_everywhere():
    hostile = divergence(HOSTILE_ORDER_ID, 1e6, "free text <!everyone> @channel <https://evil.example|click>")
    exc = exception(carrier="<!here>", exception_id="exc-1")
    payloads = [
        format_exception_blocks(exc, [hostile]),
        format_thread_reply(exc, new_divergences=[hostile], status_change={"to_status": "ack", "actor": "<@U1>"}),
        format_resolved_update(exc, [hostile], resolved_by="<!channel>", note="<https://x|y>"),
        format_escalation(exc, now=datetime(2026, 3, 1), divergences=[hostile]),
    ]
    for payload in payloads:
        rendered = str(payload)
        assert "<!" not in rendered and "<@" not in rendered and "<https" not in rendered
        assert "@channel" not in rendered and "@here" not in rendered and "@everyone" not in rendered
    top = payloads[0]["blocks"][4]["text"]["text"]
    assert f"`&lt;!channel&gt; &lt;https:{ZWSP}//x|y&gt;`" in top
    assert f"free text &lt;!everyone&gt; @{ZWSP}channel &lt;https:{ZWSP}//evil.example|click&gt;" in top
    assert "ORD" not in payloads[1]["text"] and "&lt;!channel&gt;" in payloads[1]["text"]


# ---------------------------------------------------------------- limits


def test_500_orders_parent_lists_the_top_five_and_says_how_many_were_left_out():
    payload = format_exception_blocks(exception(divergence_count=None, order_count=None), divergences(500))
    assert len(payload["blocks"]) <= MAX_BLOCKS
    assert limit_violations(payload) == []
    top = payload["blocks"][4]["text"]["text"].splitlines()
    assert top[0] == "*Top 5 of 500 orders by exposure*"
    assert [line.split("`")[1] for line in top[1:]] == [f"ORD-{i:07d}" for i in (500, 499, 498, 497, 496)]
    assert payload["blocks"][5] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "…and 495 more orders not shown"}],
    }


def test_500_new_divergences_fit_in_50_blocks_with_a_truncation_note():
    payload = format_thread_reply(exception(), new_divergences=divergences(500), max_listed=None)
    blocks = payload["blocks"]
    assert len(blocks) == MAX_BLOCKS
    assert limit_violations(payload) == []
    # 1 title + 48 divergences + the note
    assert blocks[-1]["elements"][0]["text"].startswith("…and 452 more not shown")
    assert "`recon divergences --open --rule amount_mismatch`" in blocks[-1]["elements"][0]["text"]
    assert payload["text"].endswith("ORD-0000491 and 490 more")


def test_default_reply_lists_ten():
    blocks = format_thread_reply(exception(), new_divergences=divergences(11))["blocks"]
    assert len(blocks) == 1 + 10 + 1 and blocks[-1]["elements"][0]["text"].startswith("…and 1 more not shown")
    assert len(format_thread_reply(exception(), new_divergences=divergences(10))["blocks"]) == 11


def test_huge_texts_are_cut_with_an_ellipsis():
    long = "x" * 50_000
    exc = exception(rule="r" * 400, owner_team="o" * 3_000, carrier="c" * 5_000)
    payloads = [
        format_exception_blocks(exc, [divergence("O" * 4_000, 1.0, long) for _ in range(3)]),
        format_thread_reply(
            exc,
            new_divergences=[divergence("O" * 4_000, 1.0, long)],
            status_change={"to_status": "ack", "actor": long, "note": long},
        ),
        format_resolved_update(exc, [divergence("O", 1.0, long)], resolved_by=long, note=long),
        format_escalation(exc, now=datetime(2026, 3, 1), divergences=[divergence("O", 1.0, long)]),
    ]
    for payload in payloads:
        assert limit_violations(payload) == []
    header = payloads[0]["blocks"][0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…")


def test_truncate_never_splits_an_entity():
    assert truncate("ab&amp;cd", 5) == "ab…"
    assert truncate("ab&amp;cd", 8) == "ab&amp;…"
    assert truncate("short", 5) == "short"


def test_join_lines_keeps_whole_lines_and_counts_the_rest():
    lines = [f"line {i}" for i in range(100)]
    joined = join_lines(lines, 60)
    assert len(joined) <= 60
    kept = joined.splitlines()
    assert kept[-1] == f"…and {100 - (len(kept) - 1)} more not shown"
    assert join_lines(["a", "b"], 10) == "a\nb"


def test_limit_violations_reports_what_slack_would_refuse():
    payload = {
        "text": "x" * 40_001,
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}] * 51,
    }
    problems = limit_violations(payload)
    assert "text has 40001 characters (max 40000)" in problems
    assert "51 blocks (max 50)" in problems
    assert "block 0 (header): header has 151 characters (max 150)" in problems


def test_join_lines_edge_cases():
    assert join_lines(["x" * 50, "b"], 30) == "x" * 7 + "…\n…and 1 more not shown"
    assert join_lines(["x" * 50, "b"], 10) == "x" * 9 + "…"
    assert join_lines(["only one line that is long"], 10) == "only one…"
