"""Two processes executing replays of overlapping scope at the same moment, each with its own connection to the
store (opened by URL, as two `recon replay --execute` would): exactly one starts, the other is refused naming it."""

from __future__ import annotations

import multiprocessing

from dagster_project.store import ReplayLocked, list_replays, open_store, start_replay, verify_audit
from tests.store.rows import HOUR, T0

# operator: (idempotency key, kind, lock units); both need the warehouse.
REPLAYS = {
    "asha": ("remap:5f1c0a", "remap", ["warehouse", "status:carrier:DELIVERED_OK"]),
    "ravi": ("orders:9a", "orders", ["warehouse", "order:ORD-1"]),
}


def race(url: str, operator: str, barrier, results) -> None:
    """In a spawned process: open the store, wait for the other process, start a replay, report what happened."""
    key, kind, units = REPLAYS[operator]
    store = open_store(url)
    try:
        barrier.wait()
        try:
            started = start_replay(
                store,
                idempotency_key=key,
                kind=kind,
                scope={"units": units},
                units=units,
                operator=operator,
                reason=f"{operator} replays",
                diff={},
                now=T0,
            )
        except ReplayLocked as refused:
            results.put(("locked", operator, str(refused), [holder.replay_id for holder in refused.holders]))
        else:
            results.put(("started", operator, started.replay.id))
    finally:
        store.close()


def test_two_processes_racing_for_overlapping_units_one_starts_the_other_is_refused(db_url):
    open_store(db_url).close()  # the schema first, so the processes race only for the locks
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(REPLAYS)), context.Queue()
    processes = [context.Process(target=race, args=(db_url, operator, barrier, results)) for operator in REPLAYS]
    for process in processes:
        process.start()
    outcomes = sorted(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join()
    assert [process.exitcode for process in processes] == [0, 0]

    (refused, won) = outcomes  # "locked" sorts before "started"
    assert won[0] == "started"
    winner, replay_id = won[1], won[2]
    loser = next(operator for operator in REPLAYS if operator != winner)
    assert (replay_id, refused[:2]) == (1, ("locked", loser))
    assert refused[2] == (
        f"cannot start this replay: replay 1 ({REPLAYS[winner][1]}, by {winner}) has held warehouse since "
        "2026-03-01 12:00:00 UTC. Wait for it to finish, then execute again; if it crashed, its locks expire at "
        "2026-03-01 14:00:00 UTC and the next execute takes them over."
    )
    assert refused[3] == [1]
    with open_store(db_url) as store:
        assert [(r.id, r.operator, r.status, r.units, r.expires_at) for r in list_replays(store)] == [
            (1, winner, "running", tuple(sorted(REPLAYS[winner][2])), T0 + 2 * HOUR)
        ]
        assert verify_audit(store) == []
