"""End to end: `recon run` over landing files → marts → exceptions → the loopback Slack fake.

One message per action cluster in its owner's channel; a rerun posts nothing; new divergences thread under
the parent; resolution edits it; Slack outages and a bad token lose nothing; hostile ids arrive escaped.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.home import Home
from dagster_project.outbox_delivery import deliver_outbox, sender_for
from dagster_project.pipeline import run_pipeline
from dagster_project.simulator import simulate
from dagster_project.store import audit_trail, list_exceptions, open_store, verify_audit
from dagster_project.store.models import SlackOutbox
from tests.landing_builder import crm_placed, oms_event, write_batch
from tests.slack.conftest import TOKEN
from tests.slack.fake_slack import FakeSlack

AS_OF = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
HOSTILE = "<!channel> <https://x|y>"
CHANNEL_IDS = {
    "logistics_ops": "C0LOGISTIC",
    "finance_ops": "C0FINANCE1",
    "cx_ops": "C0CXOPS001",
    "integrations": "C0INTEGRAT",
}


def parents(fake: FakeSlack):
    return [m for m in fake.messages if m.thread_ts is None]


def metadata_keys(fake: FakeSlack) -> Counter:
    return Counter(m.metadata["event_payload"]["key"] for m in fake.messages if m.metadata)


def outbox_statuses(home: Home) -> Counter:
    store = open_store(home.store_url)
    with store.session() as session:
        return Counter(row.status for row in session.query(SlackOutbox))


def expected_exceptions(home: Home) -> tuple[Counter, int]:
    """Per owner team: the action clusters with an open divergence (each opens exactly one exception); and the
    files quarantined whole, by content (each opens one schema-drift exception for integrations)."""
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select owner_team, count(distinct cluster_id) from fct_divergences "
            "where queue = 'action' and status = 'open' group by 1"
        ).fetchall()
        (files,) = conn.execute("select count(distinct file_sha256) from recon.quarantined_files").fetchone()
    return Counter(dict(rows)), files


# --- the simulator's data ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    return simulate(300, 1, tmp_path_factory.mktemp("sim") / "sim", as_of=datetime(2026, 3, 1, tzinfo=UTC))


def test_one_message_per_action_cluster_through_429_and_500_and_none_on_rerun(simulated, slack, home):
    as_of = datetime(2026, 3, 1, tzinfo=UTC)
    # Slack rate-limits, then fails with 500s for a while: the first run's sync is kept, its messages wait.
    slack.rate_limit_next(2, retry_after=1)
    slack.fail_next(8, status=500)
    first = run_pipeline(home, simulated.landing, as_of)
    clusters, files = expected_exceptions(home)
    assert sum(clusters.values()) > 20 and files > 0
    assert (first.exceptions["opened"], first.exceptions["file_exceptions_opened"]) == (sum(clusters.values()), files)
    total = sum(clusters.values()) + files
    assert first.exceptions["slack_sent"] < total and first.slack_error is None

    # The outbox is retried (as the escalation sensor does every few minutes): the 500s go on for one more pass
    # (the earlier attempt is looked for first, since a 500 may have been posted), then Slack recovers.
    store, sender = open_store(home.store_url), sender_for(home.config())
    assert deliver_outbox(store, sender).pending == Counter({"unavailable": 1, "not_attempted": total - 1})
    assert deliver_outbox(store, sender).sent == total
    assert outbox_statuses(home) == Counter({"sent": total})
    by_channel = Counter(m.channel for m in parents(slack))
    assert by_channel == Counter(
        {CHANNEL_IDS[team]: count for team, count in (clusters + Counter(integrations=files)).items()}
    )
    keys = metadata_keys(slack)
    assert len(keys) == total and set(keys.values()) == {1}

    # A rerun changes nothing and says nothing.
    calls = len(slack.calls_to("chat.postMessage")) + len(slack.calls_to("chat.update"))
    second = run_pipeline(home, simulated.landing, as_of)
    assert second.exceptions["unchanged"] == total and second.exceptions["messages_queued"] == 0
    assert len(slack.calls_to("chat.postMessage")) + len(slack.calls_to("chat.update")) == calls
    assert verify_audit(open_store(home.store_url)) == []


# --- a crafted cluster: attach, thread, resolve, edit, hostile ids, on SQLite and PostgreSQL ---------------


def created(n: int, order: str, minute: int) -> dict:
    return oms_event(n, "CREATED", order=order, event_ts=f"2026-03-01T08:{minute:02d}:00Z")


@pytest.fixture
def store_home(home, db_url, monkeypatch):
    monkeypatch.setenv("RECON_STORE_URL", db_url)
    return home


def test_cluster_posts_once_threads_new_divergences_and_edits_on_resolve(store_home, landing, slack):
    home = store_home
    # Two orders the CRM never heard of, created in the same hour: one missing_in_system cluster.
    write_batch(landing, "oms", "2026-03-01/oms_1", [created(1, "ORD-A", 10), created(2, "ORD-C", 20)])
    first = run_pipeline(home, landing, AS_OF)
    assert first.exceptions["opened"] == 1 and first.exceptions["slack_sent"] == 1
    (parent,) = slack.messages
    assert parent.channel == "C0INTEGRAT" and parent.thread_ts is None
    assert "2 divergences in 2 orders" in parent.text

    # A third order joins the cluster: a thread reply, no new parent.
    write_batch(landing, "oms", "2026-03-01/oms_2", [created(3, "ORD-B", 40)])
    second = run_pipeline(home, landing, AS_OF)
    assert (second.exceptions["opened"], second.exceptions["attached"]) == (0, 1)
    assert len(parents(slack)) == 1
    (reply,) = slack.replies(parent.ts)
    assert "ORD-B" in reply.text and reply.channel == "C0INTEGRAT"

    # The CRM catches up on all three: every divergence resolves, the exception auto-resolves, the parent is edited.
    write_batch(
        landing, "crm", "2026-03-01/crm_1", [crm_placed(1, "ORD-A"), crm_placed(2, "ORD-C"), crm_placed(3, "ORD-B")]
    )
    third = run_pipeline(home, landing, AS_OF)
    assert third.exceptions["auto_resolved"] == 1
    assert len(slack.messages) == 2 and parent.edits == 1
    assert (
        parent.text == "Resolved automatically: missing_in_system (unknown) for integrations, 3 divergences in 3 orders"
    )
    store = open_store(home.store_url)
    (exception,) = list_exceptions(store)
    assert (exception["state"], exception["open_divergences"], exception["divergences"]) == ("auto_resolved", 0, 3)
    assert [event["action"] for event in audit_trail(store)] == ["opened", "auto_resolved"]


def test_invalid_auth_loses_nothing_and_names_the_setting(home, landing, slack, capsys):
    write_batch(landing, "oms", "2026-03-01/oms_1", [created(1, "ORD-A", 10)])
    slack.set_auth_error("invalid_auth")
    code = main(["run", "--home", str(home.root), "--landing", str(landing), "--as-of", AS_OF.isoformat()])
    err = capsys.readouterr().err
    assert code == 2
    assert "SLACK_BOT_TOKEN" in err and TOKEN not in err
    assert slack.messages == [] and outbox_statuses(home) == Counter({"pending": 1})

    # The token is fixed: the next delivery pass (the escalation sensor's, or the next run's) sends it once.
    slack.set_auth_error(None)
    assert deliver_outbox(open_store(home.store_url), sender_for(home.config())).sent == 1
    assert len(slack.messages) == 1 and outbox_statuses(home) == Counter({"sent": 1})


def test_exceptions_cli_acts_audits_and_edits_the_message(home, landing, slack, capsys):
    write_batch(landing, "oms", "2026-03-01/oms_1", [created(1, HOSTILE, 10)])
    run_pipeline(home, landing, AS_OF)
    (parent,) = slack.messages
    body = json.dumps(parent.blocks, ensure_ascii=False) + parent.text
    # Entities for the control characters, and a zero-width space so the URL is not auto-linked either.
    assert "`&lt;!channel&gt; &lt;https:\u200b//x|y&gt;`" in body
    assert "<!channel>" not in body and "https://x" not in body
    root = ["--home", str(home.root)]

    assert main(["exceptions", "ack", "1", "--actor", "asha", *root]) == 0
    assert main(["exceptions", "assign", "1", "--to", "ravi", "--actor", "asha", *root]) == 0
    assert main(["exceptions", "resolve", "1", "--reason", "CRM backfilled", "--actor", "ravi", *root]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "Exception 1 acknowledged (acknowledged).",
        "Exception 1 assigned to ravi (assigned).",
        "Exception 1 resolved (resolved).",
    ]
    assert parent.edits == 3 and parent.text.startswith("Resolved by user:ravi")

    assert main(["exceptions", "ack", "1", *root]) == 2
    assert capsys.readouterr().err.strip() == (
        "recon: error: exception 1 is resolved: only open exceptions can be acknowledged"
    )
    assert main(["exceptions", "show", "1", "--json", *root]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(a["actor"], a["action"], a["to_state"]) for a in shown["audit"]] == [
        ("system:sync", "opened", "open"),
        ("user:asha", "acknowledged", "acknowledged"),
        ("user:asha", "assigned", "assigned"),
        ("user:ravi", "resolved", "resolved"),
    ]
    assert main(["audit", "verify", *root]) == 0
    assert capsys.readouterr().out.startswith("Audit trail intact: 4 events")

    # Someone edits an audit row behind recon's back: verify names it.
    with sqlite3.connect(home.root / "store.sqlite") as db:
        db.execute("update audit_events set reason = 'nothing to see' where id = 4")
    assert main(["audit", "verify", *root]) == 1
    err = capsys.readouterr().err
    assert "audit 4: hash does not match its content" in err
