"""The replay buttons over real HTTP, signed, against a real store and the loopback fake Slack.

"Replay (dry run)" on an exception's message computes the replay for it (changing nothing) and posts the plan in
the exception's thread; "Execute replay" in that reply opens a modal asking for the reason, and the submission
executes it, for operators only.

The warehouse is built ONCE for the module (`built`: one pipeline run over three orders: ORD-0000001's carrier
delivery came as the unmapped DELIVERED_OK, ORD-0000002's CRM never heard of its delivery, ORD-0000003 is
consistent). Each test copies it into its own home and opens the two exceptions in its own store (SQLite, or
PostgreSQL with RECON_TEST_PG_URL): 1 in #integrations (mapping error, ORD-0000001), 2 in #logistics-ops
(ORD-0000002). Three tests run dbt: the orders dry run (one build), the remap dry run then execute (three). The
rest refuse before any build, or run on the small home of `conftest.py` with no warehouse.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import SYSTEMS
from dagster_project.errors import ReconError
from dagster_project.exception_sync import sync_from_marts
from dagster_project.home import STORE_URL_ENV, Home
from dagster_project.pipeline import run_pipeline
from dagster_project.replay import DryRun, ReplayRequest
from dagster_project.replay.diff import MartDiff
from dagster_project.slack.limits import MAX_BUTTON_VALUE, limit_violations
from dagster_project.slack.settings import TOKEN_ENV
from dagster_project.slack_app.clicks import Clicker
from dagster_project.slack_app.replay_messages import dry_run_message
from dagster_project.slack_app.replay_scope import (
    STALE_BUTTON,
    Choice,
    ExecuteValue,
    operator_for,
    read_execute_value,
    statuses_digest,
)
from dagster_project.store import Store, audit_trail, list_exceptions, list_replays
from tests.dbt.recon_dbt_harness import AS_OF, T0, Events, at, write_landing
from tests.landing_builder import write_batch
from tests.slack.fake_slack import FakeMessage, FakeSlack
from tests.slack_app.conftest import Served, serve_app
from tests.slack_app.interactions import CHANNEL, PARENT_TS, SlackPoster, answer, button_click, view_submission
from tests.store.rows import dump

HOUR = timedelta(hours=1)
# The clock of the sync that opens the exceptions in each test's store (after the marts' as_of).
OPENED_AT = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
INTEGRATIONS, LOGISTICS = "C0INTEGRAT", "C0LOGISTIC"
OPERATORS = "replay:\n  operators: [U0ASHA]\n"
REMAP = OPERATORS + "status_map:\n  carrier:\n    DELIVERED_OK: delivered\n"
# A replay (dbt build included) takes tens of seconds; this only bounds a hang.
SETTLE_SECONDS = 900


# ---------------------------------------------------------------- the module's one pipeline run


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A landing zone of three orders and the home built from it (its store, SQLite, is not used again)."""
    root = tmp_path_factory.mktemp("replay-built")
    events = Events()
    awb = events.order("ORD-0000001", skip={"carrier:DLVD"})
    events.carrier(awb, "DELIVERED_OK", at(22))
    events.order("ORD-0000002", T0 + HOUR, skip={"crm:Delivered"})
    events.order("ORD-0000003", T0 + 2 * HOUR)
    write_landing(root / "landing", events)
    with pytest.MonkeyPatch.context() as env:
        for name in (STORE_URL_ENV, TOKEN_ENV, "RECON_SLACK_BASE_URL", "RECON_HOME"):
            env.delenv(name, raising=False)
        run_pipeline(Home(root / "home").ensure(), root / "landing", AS_OF)
    return root


@dataclass
class Replayable:
    home: Home
    landing: Path
    parents: dict[int, FakeMessage]  # exception id → its message on the fake


@pytest.fixture
def replayable(built: Path, home: Home, store: Store, fake_slack: FakeSlack, tmp_path: Path, monkeypatch):
    """The built warehouse in this test's home, the landing zone beside it (RECON_LANDING), and the two exceptions
    opened in this test's store and posted on the fake."""
    shutil.copyfile(Home(built / "home").warehouse, home.warehouse)
    landing = tmp_path / "landing"
    shutil.copytree(built / "landing", landing)
    monkeypatch.setenv("RECON_LANDING", str(landing))
    synced = sync_from_marts(store, home.warehouse, home.config(), OPENED_AT)
    assert (synced.result.counts()["opened"], synced.delivery.sent) == (2, 2)
    first, second = fake_slack.messages
    assert (first.channel, second.channel) == (INTEGRATIONS, LOGISTICS)
    assert "mapping error" in first.text and "ORD-0000001" in json.dumps(first.blocks)
    assert "ORD-0000002" in json.dumps(second.blocks)
    return Replayable(home, landing, {1: first, 2: second})


@pytest.fixture
def app(replayable: Replayable, slack_env) -> Served:
    yield from serve_app(replayable.home, lambda: OPENED_AT)


def settle(served: Served) -> None:
    assert served.app.wait_idle(timeout=SETTLE_SECONDS), "the Slack app's handlers or replays did not finish"


# ---------------------------------------------------------------- payloads and readers


def click(
    action_id: str,
    value: str,
    message: FakeMessage,
    *,
    user_id: str = "U0ASHA",
    username: str | None = "asha",
    trigger_id: str = "1001.2002.trigger-a",
) -> dict:
    """A click on a button of `message` (a parent, or a reply in its thread) as Slack sends it."""
    body = button_click(action_id, value, user_id=user_id, username=username, channel=message.channel)
    body["trigger_id"] = trigger_id
    body["container"]["message_ts"] = body["message"]["ts"] = message.ts
    if message.thread_ts:
        body["container"]["thread_ts"] = body["message"]["thread_ts"] = message.thread_ts
    return body


def submit(view: dict, reason: str | None, *, user_id: str = "U0ASHA", username: str | None = "asha") -> dict:
    body = view_submission(view, reason, user_id=user_id, username=username)
    body["view"]["state"] = {
        "values": {"recon_replay_reason": {"reason": {"type": "plain_text_input", "value": reason}}}
    }
    return body


def ephemerals(fake: FakeSlack) -> list[tuple[str, str, str]]:
    return [(e.channel, e.user, e.text) for e in fake.ephemerals]


def button(message: FakeMessage) -> dict:
    (actions,) = [block for block in message.blocks if block["type"] == "actions"]
    (element,) = actions["elements"]
    return element


def state(home: Home, store: Store) -> tuple:
    """Every warehouse table, hashed; every store table that a replay could touch; the replay folder."""
    sums = {}
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        tables = conn.execute("select table_schema, table_name from information_schema.tables order by 1, 2")
        for schema, table in tables.fetchall():
            rows = conn.execute(f'select * from "{schema}"."{table}"').fetchall()
            sums[f"{schema}.{table}"] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    scratch = sorted(p.name for p in (home.root / "replay").glob("*")) if (home.root / "replay").exists() else []
    return sums, dump(store), [r.as_dict() for r in list_replays(store)], scratch


def _exceptions(store: Store) -> list[dict]:
    return sorted(list_exceptions(store), key=lambda e: e["exception_id"])


def started(kind: str, exception_id: int) -> str:
    return (
        f":hourglass_flowing_sand: Dry run of {kind} replay for exception `{exception_id}` started: its result will "
        "be posted in this thread in a minute or so. Nothing is changed."
    )


EXECUTE_NOTE = (
    "*Execute replay* asks for the reason and checks who clicks against `replay.operators` in recon.yaml; the dry "
    "run is computed again, the replay carried out once and verified, and the outcome posted here."
)


# ---------------------------------------------------------------- dry runs (dbt)


def test_dry_run_of_an_orders_replay_posts_the_plan_in_the_thread(
    replayable: Replayable, app: Served, fake_slack: FakeSlack, store: Store
):
    home, landing = replayable.home, replayable.landing
    home.config_file.write_text(OPERATORS)
    # The CRM re-sends ORD-0000002's delivery: a newer file in the landing zone.
    resent = {"event_id": "crm-resent-1", "event_ts": "2026-03-02T07:00:00+00:00", "order_ref": "ORD-0000002"}
    write_batch(landing, "crm", "resent/batch-0002", [resent | {"event_type": "status_update", "status": "Delivered"}])
    parent = replayable.parents[2]
    before = state(home, store)

    assert SlackPoster(app.url).post(click("recon_replay_dry_run", "2", parent)) == (200, "")
    settle(app)

    assert ephemerals(fake_slack) == [(LOGISTICS, "U0ASHA", started("an orders", 2))]
    (reply,) = fake_slack.replies(parent.ts)
    assert (reply.channel, reply.thread_ts) == (LOGISTICS, parent.ts)
    assert reply.text == (
        "Dry run of an orders replay for exception 2: 1 would resolve, 0 would appear, 0 would change "
        "classification or queue, over 1 order; nothing was changed"
    )
    value = '{"exception_id":2,"kind":"orders","orders":["ORD-0000002"]}'
    assert reply.blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":mag: *Dry run of an orders replay* for exception `2`, as of 2026-03-10 12:00 UTC, asked by "
                "asha: nothing was changed.\n"
                f"*Scope:* orders `ORD-0000002`, re-read from the landing zone `{landing}`\n"
                "*Divergences:* 1 would resolve, 0 would appear, 0 would change classification or queue, over 1 "
                "order\n"
                "*Exceptions:* 1 would auto-resolve, 0 would open, 0 would reopen\n"
                "*Rows:* 1 into crm would be ingested\n"
                "*Orders:* `ORD-0000002`\n"
                "*Of this exception's 1 open order:* 1 would change",
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*To carry it out* (an operator, with a reason):\n```recon replay orders --order ORD-0000002 "
                f"--landing {landing} --execute --reason TEXT```",
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": EXECUTE_NOTE}]},
        {
            "type": "actions",
            "block_id": "recon_replay_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "recon_replay_execute",
                    "text": {"type": "plain_text", "text": "Execute replay"},
                    "style": "danger",
                    "value": value,
                }
            ],
        },
    ]
    assert limit_violations({"text": reply.text, "blocks": reply.blocks}) == []
    # Nothing changed: the warehouse, the store, the exception's message; no scratch copy left behind.
    assert state(home, store) == before
    assert [(m.ts, m.edits) for m in fake_slack.messages if m.thread_ts is None] == [
        (replayable.parents[1].ts, 0),
        (parent.ts, 0),
    ]


def test_remap_dry_run_then_execute_by_an_operator(
    replayable: Replayable, app: Served, fake_slack: FakeSlack, store: Store
):
    home, parent = replayable.home, replayable.parents[1]
    home.config_file.write_text(REMAP)
    slack = SlackPoster(app.url)
    before = state(home, store)

    # The dry run: a remap, since recon.yaml maps DELIVERED_OK and the marts were built without it.
    assert slack.post(click("recon_replay_dry_run", "1", parent)) == (200, "")
    settle(app)

    assert state(home, store) == before
    (plan,) = fake_slack.replies(parent.ts)
    digest = statuses_digest([("carrier", "DELIVERED_OK", None, "delivered")])
    assert plan.blocks[0]["text"]["text"] == (
        ":mag: *Dry run of a remap replay* for exception `1`, as of 2026-03-10 12:00 UTC, asked by asha: nothing was "
        "changed.\n"
        "*Scope:* status_map in recon.yaml against the built marts: carrier `DELIVERED_OK`: unmapped → delivered\n"
        "*Divergences:* 1 would resolve, 0 would appear, 0 would change classification or queue, over 1 order\n"
        "*Exceptions:* 1 would auto-resolve, 0 would open, 0 would reopen\n"
        "*Rows:* none would be ingested\n"
        "*Orders:* `ORD-0000001`\n"
        "*Of this exception's 1 open order:* 1 would change"
    )
    assert plan.blocks[1]["text"]["text"] == (
        "*To carry it out* (an operator, with a reason):\n```recon replay remap --execute --reason TEXT```"
    )
    execute_button = button(plan)
    assert execute_button["value"] == json.dumps({"exception_id": 1, "kind": "remap", "statuses": digest}).replace(
        " ", ""
    )

    # Someone not in replay.operators clicks it: told so, nothing opened, nothing changed.
    ravi_click = click("recon_replay_execute", execute_button["value"], plan, user_id="U0RAVI", username="ravi")
    assert slack.post(ravi_click) == (200, "")
    settle(app)
    assert fake_slack.views == []
    refused = (
        ":warning: Nothing changed: ravi may not execute replays: add ravi (a login name or Slack user id) to "
        "replay.operators in recon.yaml. Dry-runs need no permission."
    )
    assert ephemerals(fake_slack) == [
        (INTEGRATIONS, "U0ASHA", started("a remap", 1)),
        (INTEGRATIONS, "U0RAVI", refused),
    ]

    # The operator: the modal asks for the reason; the submission executes.
    assert slack.post(click("recon_replay_execute", execute_button["value"], plan, trigger_id="t-exec")) == (200, "")
    settle(app)
    (opened,) = fake_slack.views
    modal = opened.view
    assert (opened.trigger_id, modal["callback_id"], modal["title"]["text"], modal["submit"]["text"]) == (
        "t-exec",
        "recon_replay_execute_modal",
        "Execute replay",
        "Execute",
    )
    assert json.loads(modal["private_metadata"]) == {
        "replay": {"exception_id": 1, "kind": "remap", "statuses": digest},
        "channel": INTEGRATIONS,
        "thread_ts": parent.ts,
    }
    assert state(home, store) == before

    reason = "carrier API change: DELIVERED_OK means delivered"
    assert slack.post(submit(modal, reason)) == (200, "")
    settle(app)

    assert ephemerals(fake_slack)[2:] == [
        (
            INTEGRATIONS,
            "U0ASHA",
            ":hourglass_flowing_sand: Executing a remap replay for exception `1`: the outcome will be posted in the "
            "thread when it is done.",
        )
    ]
    (replay,) = list_replays(store)
    assert (replay.id, replay.kind, replay.status, replay.operator, replay.reason) == (
        1,
        "remap",
        "verified",
        "U0ASHA",
        reason,
    )
    replay_events = [(e["actor"], e["action"]) for e in audit_trail(store) if e["action"].startswith("replay_")]
    assert replay_events == [("user:U0ASHA", "replay_started"), ("system:replays", "replay_verified")]
    # The exception auto-resolved and its message was edited; the other one is untouched.
    assert [(e["exception_id"], e["state"]) for e in _exceptions(store)] == [(1, "auto_resolved"), (2, "open")]
    assert (parent.edits, parent.text) == (
        1,
        "Resolved automatically: delivery_status_conflict (mapping error) for integrations, 1 divergence in 1 order",
    )
    assert replayable.parents[2].edits == 0
    # The thread: the plan, the replay's note (queued by execute), and the outcome.
    plan_reply, note, outcome = fake_slack.replies(parent.ts)
    assert plan_reply is plan
    assert note.text == (
        "Replay 1 (remap) by U0ASHA: verified — 1 divergences resolved, 0 appeared, 0 reclassified; 0 rows "
        f"ingested. Reason: {reason}"
    )
    assert outcome.text == "Replay 1 (remap) for exception 1: verified, by asha"
    assert outcome.blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":white_check_mark: *Replay 1 verified*: a remap replay executed from exception `1` by asha.\n"
                f">{reason}",
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "```"
                + "\n".join(
                    [
                        "Scope: carrier DELIVERED_OK: unmapped → delivered",
                        "Divergences: 1 would resolve, 0 would appear, 0 would change classification or queue, over "
                        "1 orders.",
                        "Exceptions: 1 would auto-resolve, 0 open, 0 reopen.",
                        "Rows: none",
                        "",
                        "Would resolve:",
                        "order_id     rule                      classification  queue",
                        "-----------  ------------------------  --------------  ------",
                        "ORD-0000001  delivery_status_conflict  mapping_error   action",
                        "Exceptions: 1 auto-resolved, 0 opened.",
                        "  ok   promised_resolutions: promised to resolve: 1 divergence, each resolved or gone from "
                        "fct_divergences",
                        "  ok   promised_appearances: promised to appear: none",
                        "  ok   post_state_as_promised: fct_divergences has exactly the promised rows (1 row) by "
                        "divergence_id, status, classification, queue",
                        "  ok   divergence_ids_unique: no divergence id is repeated in fct_divergences (1 row)",
                        "  ok   row_counts_add_up: row counts add up (before + added = after) for carrier, crm, erp, "
                        "integration_log, oms, payments, wms",
                        "Slack: 1 sent",
                    ]
                )
                + "```",
            },
        },
    ]
    assert limit_violations({"text": outcome.text, "blocks": outcome.blocks}) == []


# ---------------------------------------------------------------- refused dry runs (no dbt)


def test_an_orders_replay_without_recon_landing_says_what_to_set(
    replayable: Replayable, app: Served, fake_slack: FakeSlack, store: Store, monkeypatch
):
    monkeypatch.delenv("RECON_LANDING")
    before = state(replayable.home, store)

    assert SlackPoster(app.url).post(click("recon_replay_dry_run", "2", replayable.parents[2])) == (200, "")
    settle(app)

    assert ephemerals(fake_slack) == [
        (
            LOGISTICS,
            "U0ASHA",
            ":warning: Nothing changed: RECON_LANDING is not set: an orders replay re-reads the landing zone, so "
            "start the Slack app with RECON_LANDING set to the landing folder the pipeline reads (the DIR of `recon "
            "run --landing DIR`)",
        )
    ]
    assert fake_slack.replies(replayable.parents[2].ts) == []
    assert state(replayable.home, store) == before


def test_a_dry_run_the_replay_refuses_is_answered_with_its_error(
    replayable: Replayable, app: Served, fake_slack: FakeSlack, store: Store, tmp_path: Path, monkeypatch
):
    empty = tmp_path / "empty-landing"
    empty.mkdir()
    monkeypatch.setenv("RECON_LANDING", str(empty))
    before = state(replayable.home, store)

    assert SlackPoster(app.url).post(click("recon_replay_dry_run", "2", replayable.parents[2])) == (200, "")
    settle(app)

    assert ephemerals(fake_slack) == [
        (LOGISTICS, "U0ASHA", started("an orders", 2)),
        (
            LOGISTICS,
            "U0ASHA",
            f":warning: Nothing changed: nothing to replay: no event of ORD-0000002 in {empty}; check the order ids",
        ),
    ]
    assert fake_slack.replies(replayable.parents[2].ts) == []
    assert state(replayable.home, store) == before


# ---------------------------------------------------------------- no warehouse needed (conftest's `served`)


def test_an_unsigned_click_does_nothing(served, slack: SlackPoster, store: Store, fake_slack: FakeSlack):
    before, calls = dump(store), len(fake_slack.calls)

    assert slack.post(button_click("recon_replay_dry_run", "1"), signed=False) == (401, '{"error": "invalid request"}')
    served.settle()

    assert served.app.replays.in_flight() == 0
    assert dump(store) == before
    assert len(fake_slack.calls) == calls  # no ephemeral, no thread reply


def test_dry_run_clicks_refused_before_any_replay(served, slack: SlackPoster, home: Home, store, fake_slack):
    before = dump(store)
    for value in ("99", "abc", "1"):
        assert slack.post(button_click("recon_replay_dry_run", value)) == (200, "")
        served.settle()

    assert ephemerals(fake_slack) == [
        (CHANNEL, "U0ASHA", ":warning: Nothing changed: no exception with id 99"),
        (CHANNEL, "U0ASHA", ":warning: Nothing changed: the button's value 'abc' is not an exception id"),
        (
            CHANNEL,
            "U0ASHA",
            f":warning: Nothing changed: no warehouse at {home.warehouse}: run `recon run --landing DIR` (or `recon "
            "demo`) first",
        ),
    ]
    assert fake_slack.replies(PARENT_TS) == []
    assert dump(store) == before


def test_a_second_click_while_the_first_waits_is_told_so(served, slack: SlackPoster, home: Home, fake_slack):
    gate = threading.Event()
    served.app.replays.submit(gate.wait)  # the replay worker is busy
    try:
        slack.post(button_click("recon_replay_dry_run", "1"))
        assert served.app.pool.wait_idle(timeout=30)
        slack.post(button_click("recon_replay_dry_run", "1", user_id="U0RAVI", username="ravi"))
        assert served.app.pool.wait_idle(timeout=30)
    finally:
        gate.set()
    served.settle()

    assert ephemerals(fake_slack) == [
        (
            CHANNEL,
            "U0RAVI",
            ":hourglass_flowing_sand: A dry run for exception `1` is already under way: its result will be posted "
            "in this thread.",
        ),
        (
            CHANNEL,
            "U0ASHA",
            f":warning: Nothing changed: no warehouse at {home.warehouse}: run `recon run --landing DIR` (or `recon "
            "demo`) first",
        ),
    ]


ORDERS_VALUE = '{"exception_id":1,"kind":"orders","orders":["ORD-0000001"]}'


@pytest.mark.parametrize(
    ("config", "refusal"),
    [
        (
            OPERATORS,
            "ravi may not execute replays: add ravi (a login name or Slack user id) to replay.operators in recon.yaml. "
            "Dry-runs need no permission.",
        ),
        (
            "",
            "ravi may not execute replays: replay.operators in recon.yaml is empty, so nobody may; add ravi (a login "
            "name or Slack user id) there. Dry-runs need no permission.",
        ),
    ],
    ids=["not-listed", "nobody-listed"],
)
def test_execute_by_a_non_operator_is_refused(
    config, refusal, served, slack: SlackPoster, home: Home, store: Store, fake_slack: FakeSlack
):
    home.config_file.write_text(config)
    before = dump(store)

    clicked = button_click("recon_replay_execute", ORDERS_VALUE, user_id="U0RAVI", username="ravi")
    assert slack.post(clicked) == (200, "")
    served.settle()

    assert ephemerals(fake_slack) == [(CHANNEL, "U0RAVI", f":warning: Nothing changed: {refusal}")]
    assert fake_slack.views == []
    assert dump(store) == before
    assert list_replays(store) == []


def test_the_execute_modal_needs_a_reason_and_rechecks_the_operator(
    served, slack: SlackPoster, home: Home, store: Store, fake_slack: FakeSlack
):
    home.config_file.write_text(OPERATORS)
    assert slack.post(button_click("recon_replay_execute", ORDERS_VALUE, trigger_id="t-1")) == (200, "")
    served.settle()
    (opened,) = fake_slack.views
    modal = opened.view
    assert json.loads(modal["private_metadata"]) == {
        "replay": {"exception_id": 1, "kind": "orders", "orders": ["ORD-0000001"]},
        "channel": CHANNEL,
        "thread_ts": PARENT_TS,
    }
    assert modal["blocks"][0]["text"]["text"] == (
        "An orders replay for exception `1`: orders `ORD-0000001`. It changes the live warehouse: the dry run is "
        "computed again, then the replay is carried out once, under a lock, and verified; the outcome is posted in "
        "the thread. The reason is kept in the audit trail."
    )
    before, calls = dump(store), len(fake_slack.calls)

    # No reason: a field error, the modal stays open. Metadata that is not ours: start again.
    for reason in (None, "", "  \n "):
        status, body = slack.post(submit(modal, reason))
        assert (status, answer(body)) == (
            200,
            {
                "response_action": "errors",
                "errors": {
                    "recon_replay_reason": "a reason is required to execute a replay: say what was fixed and why it is "
                    "replayed"
                },
            },
        )
    status, body = slack.post(submit({**modal, "private_metadata": '{"replay": {"kind": "orders"}}'}, "fixed"))
    assert (status, answer(body)) == (
        200,
        {
            "response_action": "errors",
            "errors": {
                "recon_replay_reason": "this dialog is out of date: close it and click Execute replay in the dry run's "
                "thread again"
            },
        },
    )
    served.settle()
    assert (dump(store), len(fake_slack.calls)) == (before, calls)

    # Taken off replay.operators while the modal was open: the submission is refused, nothing runs.
    home.config_file.write_text("replay:\n  operators: [U0RAVI]\n")
    assert slack.post(submit(modal, "the CRM re-sent the order")) == (200, "")
    served.settle()

    assert ephemerals(fake_slack) == [
        (
            CHANNEL,
            "U0ASHA",
            ":warning: The replay for exception `1` stopped: asha may not execute replays: add asha (a login name or "
            "Slack user id) to replay.operators in recon.yaml. Dry-runs need no permission.",
        )
    ]
    assert dump(store) == before
    assert list_replays(store) == []


def test_malformed_execute_buttons_are_refused(served, slack: SlackPoster, home: Home, store: Store, fake_slack):
    home.config_file.write_text(OPERATORS)
    values = [
        "1",
        '{"exception_id": 1, "kind": "quarantine"}',
        '{"exception_id": true, "kind": "remap", "statuses": "0123456789abcdef"}',
        '{"exception_id": 1, "kind": "orders", "orders": []}',
        '{"exception_id": 1, "kind": "remap", "statuses": "short"}',
    ]
    for value in values:
        slack.post(button_click("recon_replay_execute", value))
        served.settle()

    assert ephemerals(fake_slack) == [(CHANNEL, "U0ASHA", f":warning: Nothing changed: {STALE_BUTTON}")] * len(values)
    assert fake_slack.views == []


# ---------------------------------------------------------------- pieces


def test_the_operator_is_the_listed_identity_id_first():
    asha = Clicker("U0ASHA", "asha")
    assert operator_for(asha, ["U0ASHA"]) == "U0ASHA"
    assert operator_for(asha, ["asha"]) == "asha"
    assert operator_for(asha, ["asha", "U0ASHA"]) == "U0ASHA"
    assert operator_for(asha, ["ravi"]) == "asha"  # refused by check_operator / execute, by name
    assert operator_for(Clicker("U0ASHA", None), ["ravi"]) == "U0ASHA"


def test_execute_values_round_trip_and_refuse_anything_else():
    value = ExecuteValue(7, "orders", orders=("ORD-1", "ORD-2"))
    assert read_execute_value(value.encode()) == value
    assert value.request() == ReplayRequest("orders", orders=("ORD-1", "ORD-2"))
    remap = ExecuteValue(7, "remap", statuses="0123456789abcdef")
    assert read_execute_value(remap.as_dict()) == remap
    for bad in ("", "[]", '{"exception_id": 0, "kind": "remap", "statuses": "0123456789abcdef"}', None):
        with pytest.raises(ReconError, match="click Replay \\(dry run\\)"):
            read_execute_value(bad)


def _plan(orders: list[str], request: ReplayRequest) -> DryRun:
    rows = [
        {"divergence_id": f"d{i}", "order_id": o, "rule": "r", "classification": "c", "queue": "action"}
        for i, o in enumerate(orders)
    ]
    counts = dict.fromkeys(SYSTEMS, 0)
    diff = MartDiff(resolve=rows, events_before=counts, events_after=counts)
    return DryRun(request, AS_OF, diff, {}, {"auto_resolved": 1, "opened": 0, "reopened": 0})


def test_a_hostile_and_long_plan_stays_escaped_and_within_slack_limits():
    hostile = "<!channel> <https://x|y>"
    orders = [hostile, *(f"ORD-{n:07d}-{'x' * 40}" for n in range(59))]
    request = ReplayRequest("orders", orders=tuple(orders[:50]))
    choice = Choice(3, request, Path("/srv/landing & <co>"), tuple(orders))
    value = ExecuteValue(3, "orders", orders=request.orders)
    assert len(value.encode()) > MAX_BUTTON_VALUE

    message = dry_run_message(choice, _plan(orders, request), asked_by="@here", can_execute=True, execute=value)

    assert limit_violations(message) == []
    everything = json.dumps(message, ensure_ascii=False)
    assert "<!channel>" not in everything and "https://x" not in everything and "@here" not in everything
    assert "<co>" not in everything and "&amp; &lt;co&gt;" in everything
    assert message["blocks"][-1] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "No Execute button: this replay's scope does not fit in a Slack button; run the command above.",
            }
        ],
    }
    assert "*Orders:* `&lt;!channel&gt; &lt;https:\u200b//x|y&gt;`, " in message["blocks"][0]["text"]["text"]
    assert " and 50 more\n" in message["blocks"][0]["text"]["text"]
    assert "the first 50 of its 60 open orders" in message["blocks"][0]["text"]["text"]


def test_a_non_operator_gets_the_plan_without_the_button_and_an_empty_plan_offers_nothing():
    request = ReplayRequest("orders", orders=("ORD-0000002",))
    choice = Choice(2, request, Path("/srv/landing"), ("ORD-0000002",))
    value = ExecuteValue(2, "orders", orders=request.orders)

    message = dry_run_message(
        choice, _plan(["ORD-0000002"], request), asked_by="ravi", can_execute=False, execute=value
    )
    assert [block["type"] for block in message["blocks"]] == ["section", "section", "context"]
    assert message["blocks"][-1]["elements"][0]["text"] == (
        "No Execute button: ravi, who asked for this dry run, is not listed in `replay.operators` in recon.yaml. "
        "Dry runs need no permission."
    )

    empty = dry_run_message(choice, _plan([], request), asked_by="asha", can_execute=True, execute=value)
    assert empty["text"] == "Dry run of an orders replay for exception 2: nothing would change"
    assert [block["type"] for block in empty["blocks"]] == ["section"]
    assert empty["blocks"][0]["text"]["text"].endswith(
        "*Nothing would change:* no divergence would resolve, appear or change, and no row would be ingested, so "
        "there is nothing to execute."
    )
