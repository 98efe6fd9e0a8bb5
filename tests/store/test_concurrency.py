"""Writers at the same time (a sync, the escalation sensor, Slack clicks, a second process opening a new
store): the write lock serialises them, so nothing is duplicated and the audit chain stays one line."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dagster_project.store import escalate_due, open_store, sync_exceptions, verify_audit
from tests.store.rows import HOUR, T0, audit, cluster, divergence, exceptions, outbox

ROWS = [divergence(f"d{i}", f"c{i % 5}") for i in range(20)]
CLUSTERS = [cluster(f"c{i}") for i in range(5)]
STEPS = {"logistics_ops": ["#logistics-leads", "#ops-director"]}


def test_concurrent_writers_duplicate_nothing_and_keep_one_chain(db_url):
    def work(_):
        store = open_store(db_url)
        try:
            sync_exceptions(store, ROWS, CLUSTERS, T0)
            # Medium: due at T0 + 24 h; by T0 + 100 h both steps are due.
            escalate_due(store, T0 + 100 * HOUR, STEPS)
        finally:
            store.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(6)))

    store = open_store(db_url)
    assert len(exceptions(store)) == 5
    assert [row[3] for row in audit(store)] == ["opened"] * 5 + ["escalated"] * 10
    assert sorted(kind for _, _, kind, _, _ in outbox(store)) == ["escalation"] * 10 + ["post_parent"] * 5
    assert verify_audit(store) == []
    store.close()
