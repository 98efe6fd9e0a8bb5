"""Schema-drift exceptions: a file quarantined whole opens one `integrations` exception per content, audited and
posted once; reruns and the same bytes under another name add nothing; the cluster sync leaves it alone."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from dagster_project.errors import ReconError
from dagster_project.slack.limits import limit_violations
from dagster_project.slack.render import outbox_item
from dagster_project.store import (
    FileSyncResult,
    SyncResult,
    acknowledge,
    audit_trail,
    escalate_due,
    pending_messages,
    resolve,
    sync_exceptions,
    sync_quarantined_files,
    verify_audit,
)
from tests.store.rows import HOUR, T0, audit, cluster, divergence, dump, exception, exceptions, outbox

HEADER = b"event_id,event_ts,carrier,status\r\n"
SHA = hashlib.sha256(HEADER).hexdigest()
OTHER_SHA = hashlib.sha256(b"event_id,event_ts\r\n").hexdigest()
HEADER_REASON = (
    "wrong CSV header: missing required column(s) awb; a carrier batch needs event_id, event_ts, awb, carrier, status"
)
HOSTILE_NAME = "carrier/<!channel> <https://x|y>.csv"
# An over-share reason quotes values from the file: as untrusted as its name.
HOSTILE_REASON = "1 of 1 rows invalid (100%), over the 20% limit; first problems: line 2: event_ts '<!here>' is bad"
# Naive, as DuckDB returns recon.quarantined_files' times.
QUARANTINED_AT = datetime(2026, 3, 1, 6, 0)


def quarantined(
    sha: str = SHA,
    path: str = "carrier/2026-03-01/bad_header.csv",
    *,
    reason: str = HEADER_REASON,
    at: datetime = QUARANTINED_AT,
    system: str = "carrier",
) -> dict:
    """A row of `quarantine_rows.quarantined_files`."""
    return {
        "system": system,
        "file_path": path,
        "file_sha256": sha,
        "stored_path": f"/recon/quarantine/{sha}.csv",
        "rows_total": 0,
        "rows_invalid": 0,
        "reason": reason,
        "quarantined_at": at,
        "run_id": "run-1",
        "replayed_at": None,
    }


def counts(**changed: int) -> dict[str, int]:
    return SyncResult(**changed).counts()


def sync_files(store, files, now=T0):
    return sync_quarantined_files(store, files, now, channel="#integrations")


def test_a_quarantined_file_opens_one_integrations_exception(store):
    result = sync_files(store, [quarantined()])

    assert result.counts() == {"opened": 1, "known": 0}
    (row,) = exceptions(store)
    assert (row.id, row.fingerprint, row.cluster_id) == (
        1,
        hashlib.sha256(f"file:{SHA}".encode()).hexdigest(),
        f"file:{SHA}",
    )
    assert (row.rule, row.classification, row.owner_team, row.system, row.severity, row.channel) == (
        "schema_drift", "mapping_error", "integrations", "carrier", "medium", "#integrations",
    )  # fmt: skip
    assert (row.state, row.occurrence, row.escalation_step) == ("open", 1, 0)
    assert (row.created_at, row.opened_at, row.updated_at, row.sla_due_at) == (T0, T0, T0, T0 + 24 * HOUR)
    assert (row.carrier, row.zone, row.payment_mode, row.bucket_grain, row.bucket_start) == (None,) * 5
    assert (row.acknowledged_at, row.acknowledged_by, row.assignee, row.closed_at, row.closed_reason) == (None,) * 5

    assert audit(store) == [(1, 1, "system:sync", "opened", None, "open", None)]
    file = {
        "system": "carrier",
        "file_path": "carrier/2026-03-01/bad_header.csv",
        "file_sha256": SHA,
        "reason": HEADER_REASON,
        "rows_total": 0,
        "rows_invalid": 0,
        "stored_path": f"/recon/quarantine/{SHA}.csv",
        "quarantined_at": "2026-03-01T06:00:00.000000Z",
    }
    assert audit_trail(store)[0]["details"] == {
        "cluster_id": f"file:{SHA}",
        "fingerprint": row.fingerprint,
        **file,
        "severity": "medium",
        "sla_due_at": "2026-03-02T12:00:00.000000Z",
    }
    assert outbox(store) == [(1, 1, "post_parent", "#integrations", "post_parent:opened")]
    (message,) = result.messages
    assert (message.id, message.kind, message.channel) == (1, "post_parent", "#integrations")
    assert message.payload["event"] == "opened"
    assert message.payload["file"] == file
    snapshot = message.payload["exception"]
    assert {k: snapshot[k] for k in ("exception_id", "cluster_id", "rule", "owner_team", "system", "state")} == {
        "exception_id": 1, "cluster_id": f"file:{SHA}", "rule": "schema_drift", "owner_team": "integrations",
        "system": "carrier", "state": "open",
    }  # fmt: skip
    assert (snapshot["divergences"], snapshot["top_divergences"], snapshot["sla_due_at"]) == (
        0,
        [],
        "2026-03-02T12:00:00.000000Z",
    )
    assert verify_audit(store) == []


def test_the_parent_message_names_the_system_file_and_reason_escaped(store):
    sync_files(store, [quarantined(path=HOSTILE_NAME, reason=HOSTILE_REASON)])

    (message,) = pending_messages(store)
    rendered = outbox_item(message, now=T0).payload

    assert limit_violations(rendered) == []
    header, what, facts, check, context, actions = rendered["blocks"]
    assert header["text"]["text"] == ":large_orange_circle: Schema drift: carrier file quarantined"
    assert what["text"]["text"] == (
        "*File* `carrier/&lt;!channel&gt; &lt;https:\u200b//x|y&gt;.csv`\n"
        "*Why it was quarantined:* 1 of 1 rows invalid (100%), over the 20% limit; first problems: line 2: "
        "event_ts '&lt;!here&gt;' is bad"
    )
    assert [field["text"] for field in facts["fields"]] == [
        "*System*\ncarrier",
        "*Owner*\nintegrations",
        "*Severity*\n:large_orange_circle: medium",
        "*Rows*\n0 rows read, 0 invalid",
        "*Quarantined*\n2026-03-01 06:00 UTC",
        "*SLA due*\n2026-03-02 12:00 UTC",
        "*Status*\nopen",
    ]
    assert check["text"]["text"] == (
        "*What to check first:* Fix the file at the source (its header, encoding or rows, as the reason says) and "
        "drop a corrected copy in the system's landing folder: new bytes are ingested on the next run (the same "
        "bytes again are skipped). Then resolve this exception."
    )
    assert context["elements"][0]["text"] == f"Exception `1` · file sha256 `{SHA}` · opened 2026-03-01 12:00 UTC"
    assert [(button["action_id"], button["value"]) for button in actions["elements"]] == [
        ("recon_ack", "1"),
        ("recon_assign_me", "1"),
        ("recon_resolve", "1"),
    ]
    assert rendered["text"] == (
        "[medium] schema_drift for integrations: carrier file carrier/&lt;!channel&gt; &lt;https:\u200b//x|y&gt;.csv "
        "quarantined: 1 of 1 rows invalid (100%), over the 20% limit; first problems: line 2: "
        "event_ts '&lt;!here&gt;' is bad"
    )
    everything = str(rendered)
    assert "<!channel>" not in everything and "<!here>" not in everything and "<https://" not in everything


def test_rerun_with_the_same_files_adds_nothing(store):
    files = [quarantined(), quarantined(OTHER_SHA, "wms/latin1.csv", system="wms", reason="not UTF-8")]
    assert sync_files(store, files).counts() == {"opened": 2, "known": 0}
    before = dump(store)

    again = sync_files(store, files, now=T0 + HOUR)

    assert again == FileSyncResult(opened=0, known=2)
    assert dump(store) == before


def test_the_same_content_under_another_name_is_the_same_exception(store):
    later_copy = quarantined(path="carrier/2026-03-02/resent.csv", at=QUARANTINED_AT.replace(hour=9))
    other = quarantined(OTHER_SHA, "carrier/2026-03-01/other.csv", at=QUARANTINED_AT.replace(hour=7))

    # Given out of order: taken oldest first, so the first name quarantined names the exception.
    result = sync_files(store, [later_copy, other, quarantined()])

    assert result.counts() == {"opened": 2, "known": 1}
    assert [(row.id, row.cluster_id) for row in exceptions(store)] == [(1, f"file:{SHA}"), (2, f"file:{OTHER_SHA}")]
    assert [event["details"]["file_path"] for event in audit_trail(store)] == [
        "carrier/2026-03-01/bad_header.csv",
        "carrier/2026-03-01/other.csv",
    ]
    assert [message.payload["file"]["file_path"] for message in result.messages] == [
        "carrier/2026-03-01/bad_header.csv",
        "carrier/2026-03-01/other.csv",
    ]
    before = dump(store)

    # The same bytes again under a third name (another warehouse, a rebuilt one): still that exception.
    assert sync_files(store, [quarantined(path="carrier/third.csv")], now=T0 + HOUR).counts() == {
        "opened": 0,
        "known": 1,
    }
    assert dump(store) == before


def test_the_cluster_sync_leaves_a_file_exception_open(store):
    sync_files(store, [quarantined()])

    # An empty mart is not refused for a file exception's sake: the sync has nothing to do with it.
    assert sync_exceptions(store, [], [], T0 + HOUR).counts() == counts(unchanged=1)
    assert sync_exceptions(store, [divergence("d1")], [cluster()], T0 + 2 * HOUR).counts() == counts(
        opened=1, unchanged=1
    )
    # A mart with no divergence of its own auto-resolves the cluster's exception, never the file's.
    emptied = sync_exceptions(store, [], [], T0 + 3 * HOUR, allow_empty=True)
    assert emptied.counts() == counts(auto_resolved=1, unchanged=1)

    assert [(row.id, row.cluster_id, row.state) for row in exceptions(store)] == [
        (1, f"file:{SHA}", "open"),
        (2, "c-north", "auto_resolved"),
    ]
    assert audit(store) == [
        (1, 1, "system:sync", "opened", None, "open", None),
        (2, 2, "system:sync", "opened", None, "open", None),
        (3, 2, "system:sync", "auto_resolved", "open", "auto_resolved", None),
    ]
    assert [row[:3] for row in outbox(store)] == [(1, 1, "post_parent"), (2, 2, "post_parent"), (3, 2, "update_parent")]


def test_people_close_it_and_the_same_file_does_not_reopen_it(store):
    sync_files(store, [quarantined()])
    acknowledge(store, 1, "user:asha", now=T0 + HOUR)
    resolve(store, 1, "user:asha", "corrected copy landed and ingested", now=T0 + 2 * HOUR)

    assert sync_files(store, [quarantined()], now=T0 + 3 * HOUR).counts() == {"opened": 0, "known": 1}
    assert exception(store).state == "resolved"
    assert outbox(store) == [
        (1, 1, "post_parent", "#integrations", "post_parent:opened"),
        (2, 1, "update_parent", "#integrations", "update_parent:1:acknowledge:2"),
        (3, 1, "update_parent", "#integrations", "update_parent:1:resolve:3"),
    ]
    # The edits carry only the snapshot: the file is named by its content, its path and reason left to the CLI.
    acknowledged, resolved = (outbox_item(m, now=T0 + 3 * HOUR).payload for m in pending_messages(store)[1:])
    missing = (
        f"*File* with sha256 `{SHA}`: its name and why it was quarantined are in "
        "`recon exceptions show 1 --json` (its `opened` event)"
    )
    assert acknowledged["blocks"][1]["text"]["text"] == missing
    assert acknowledged["blocks"][2]["fields"][-1]["text"] == "*Status*\nacknowledged by user:asha"
    assert acknowledged["blocks"][-1]["type"] == "actions"
    assert resolved["blocks"][2]["fields"][-1]["text"] == "*Status*\nresolved: corrected copy landed and ingested"
    assert [block["type"] for block in resolved["blocks"]] == ["header", "section", "section", "section", "context"]
    assert resolved["text"] == f"[medium] schema_drift for integrations: carrier file with sha256 {SHA} quarantined"


def test_an_unacknowledged_file_exception_escalates(store):
    sync_files(store, [quarantined()])

    result = escalate_due(store, T0 + 24 * HOUR, {"integrations": ["#ops-escalations"]})

    assert [(e.exception_id, e.step, e.channel) for e in result.escalations] == [(1, 1, "#ops-escalations")]
    assert outbox(store)[-1] == (2, 1, "escalation", "#ops-escalations", "escalation:1:1")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"file_sha256": None}, "recon.quarantined_files row 2: file_sha256 is missing"),
        ({"reason": "  "}, "recon.quarantined_files row 2: reason is missing"),
        ({"file_sha256": "ABC"}, "recon.quarantined_files row 2: file_sha256 'ABC' is not a sha256 in lowercase hex"),
        ({"quarantined_at": "soon"}, "recon.quarantined_files row 2: quarantined_at: 'soon' is not a timestamp"),
    ],
)
def test_a_bad_row_stops_the_pass_before_anything_is_written(store, change, message):
    with pytest.raises(ReconError) as error:
        sync_files(store, [quarantined(OTHER_SHA), quarantined() | change])

    assert str(error.value) == message
    assert dump(store) == {"exceptions": [], "exception_divergences": [], "audit_events": [], "slack_outbox": []}
