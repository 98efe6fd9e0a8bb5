"""Where each exception's thread is in Slack: the channel id recorded with a sent message, the exceptions of given
clusters or opened by a sync with their parent message, and the `exceptions` asset's counts from the store."""

from __future__ import annotations

from dagster_project.exception_sync import ExceptionSync, opened_markdown, store_metadata
from dagster_project.store import mark_sent, resolve, sync_exceptions
from dagster_project.store.models import SlackOutbox
from dagster_project.store.outbox import ExceptionThread, cluster_threads, threads_opened_since
from tests.store.rows import HOUR, T0, cluster, divergence


def test_a_sent_message_keeps_the_channel_id_slack_answered_with(store):
    sync_exceptions(store, [divergence("d1")], [cluster()], T0)
    mark_sent(store, 1, message_ts="1740830400.000100", channel_id="C0LOGISTIC", now=T0)
    mark_sent(store, 1, message_ts="1740830499.000100", channel_id="C0OTHER", now=T0 + HOUR)  # already sent

    with store.session() as session:
        row = session.get(SlackOutbox, 1)
        assert (row.channel, row.channel_id, row.message_ts) == ("#logistics_ops", "C0LOGISTIC", "1740830400.000100")


def test_threads_of_clusters_and_of_a_sync_name_the_sent_parent_only(store):
    assert cluster_threads(store, ["c-north"]) == {} and threads_opened_since(store, T0) == []

    sync_exceptions(store, [divergence("d1")], [cluster()], T0)
    rows = [divergence("d1"), divergence("d2", "c-south", carrier="dashcargo", zone="south")]
    sync_exceptions(store, rows, [cluster(), cluster("c-south", carrier="dashcargo", zone="south")], T0 + HOUR)
    mark_sent(store, 1, message_ts="1740830400.000100", channel_id="C0LOGISTIC", now=T0)
    # Sent before channel ids were recorded: no link can be made.
    mark_sent(store, 2, message_ts="1740834000.000200", now=T0 + HOUR)

    north = ExceptionThread(
        exception_id=1,
        cluster_id="c-north",
        rule="delivery_status_conflict",
        classification="unknown",
        owner_team="logistics_ops",
        severity="medium",
        scope={"carrier": "bluekite", "zone": "north"},
        channel_id="C0LOGISTIC",
        message_ts="1740830400.000100",
    )
    south_thread = cluster_threads(store, ["c-south"])["c-south"]
    assert (south_thread.exception_id, south_thread.channel_id, south_thread.message_ts) == (2, None, None)
    assert south_thread.scope == {"carrier": "dashcargo", "zone": "south"}
    assert cluster_threads(store, ["c-north", "c-unknown"]) == {"c-north": north}
    assert threads_opened_since(store, T0) == [north, south_thread]
    assert threads_opened_since(store, T0 + HOUR) == [south_thread]


def test_the_asset_counts_manual_resolutions_since_the_previous_sync_and_what_is_still_open(store):
    sync_exceptions(store, [divergence("d1"), divergence("d2", "c-south")], [cluster(), cluster("c-south")], T0)
    resolve(store, 1, "user:asha", "carrier confirmed", now=T0 + HOUR)
    # The sync at T0 + 2h has the resolution at T0 + 1h; the next one, at T0 + 3h, has none.
    result = sync_exceptions(
        store, [divergence("d1"), divergence("d2", "c-south")], [cluster(), cluster("c-south")], T0 + 2 * HOUR
    )
    synced = ExceptionSync(result)

    first = store_metadata(synced, store, T0 + 2 * HOUR, since=T0)
    assert (first["resolved_manually"], first["resolved"], first["open_total"]) == (1, 1, 1)
    assert first["synced_at"].value == (T0 + 2 * HOUR).timestamp()
    assert first["opened_exceptions"].value == "No exception opened in this run."
    later = store_metadata(synced, store, T0 + 3 * HOUR, since=T0 + 2 * HOUR)
    assert (later["resolved_manually"], later["open_total"]) == (0, 1)
    assert store_metadata(synced, store, T0 + 3 * HOUR, since=None)["resolved_manually"] == 1


def test_the_exceptions_a_sync_opened_are_listed_with_their_thread_links(store):
    hostile = "<!here> | *x*"
    rows = [divergence("d1"), divergence("d2", "c-south", carrier=hostile, zone=None)]
    sync_exceptions(store, rows, [cluster(), cluster("c-south", carrier=hostile, zone=None)], T0)
    mark_sent(store, 1, message_ts="1740830400.000100", channel_id="C0LOGISTIC", now=T0)

    assert opened_markdown(store, T0).splitlines() == [
        "| exception | severity | rule | classification | owner | scope |",
        "|:--|:--|:--|:--|:--|:--|",
        "| [exception 1](https://slack.com/archives/C0LOGISTIC/p1740830400000100) | medium | "
        "delivery\\_status\\_conflict | unknown | logistics\\_ops | carrier bluekite, zone north |",
        "| exception 2 | medium | delivery\\_status\\_conflict | unknown | logistics\\_ops | "
        "carrier \\<\\!here\\> \\| \\*x\\* |",
    ]
    assert opened_markdown(store, T0 + HOUR) == "No exception opened in this run."
