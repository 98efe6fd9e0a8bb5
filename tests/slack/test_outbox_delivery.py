"""`deliver_outbox` between the store and the fake Slack: outcomes written back, failures kept, and two passes
at once never sending one message twice."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from dagster_project.outbox_delivery import deliver_outbox
from dagster_project.store import open_store, sync_exceptions
from dagster_project.store.models import SlackOutbox
from tests.store.rows import T0, cluster, divergence


@pytest.fixture
def store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    channels = {"logistics_ops": "#logistics-ops"}
    clusters = [cluster(f"c{i}") for i in range(30)]
    rows = [divergence(f"d{i}", f"c{i}") for i in range(30)]
    sync_exceptions(store, rows, clusters, T0, channels=channels)
    yield store
    store.close()


def rows(store) -> list[tuple]:
    with store.session() as session:
        return [
            (row.id, row.status, row.attempts, row.last_error, row.claimed_by)
            for row in session.query(SlackOutbox).order_by(SlackOutbox.id)
        ]


def test_a_transient_failure_counts_an_attempt_and_a_missing_channel_fails_for_good(store, fake_slack, make_sender):
    fake_slack.fail_next(4, status=500)
    report = deliver_outbox(store, make_sender())
    assert (report.sent, report.failed, report.pending) == (0, 0, Counter({"unavailable": 1, "not_attempted": 29}))
    first = rows(store)[0]
    assert first[:3] == (1, "pending", 1) and "HTTP 500" in first[3] and first[4] is None
    assert all(row[1:] == ("pending", 0, None, None) for row in rows(store)[1:])

    fake_slack.channel_error("logistics-ops", "channel_not_found")
    report = deliver_outbox(store, make_sender())
    assert (report.sent, report.failed) == (0, 30)
    assert {row[1] for row in rows(store)} == {"failed"}
    assert "owners.logistics_ops.channel" in report.errors[0]


def test_two_passes_at_once_send_each_message_exactly_once(store, fake_slack, make_sender):
    fake_slack.delay_next(5, 0.05)  # slow answers keep both passes busy at the same time
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(deliver_outbox(store, make_sender()))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(report.sent for report in reports) == 30
    keys = Counter(m.metadata["event_payload"]["key"] for m in fake_slack.messages)
    assert len(keys) == 30 and set(keys.values()) == {1}
    assert {row[1] for row in rows(store)} == {"sent"}
