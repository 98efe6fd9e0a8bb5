"""Manual actions: the allowed transitions, each audited and announced; the refused ones, with their messages."""

from __future__ import annotations

import pytest

from dagster_project.errors import ReconError
from dagster_project.store import TransitionError, acknowledge, assign, ignore, resolve, sync_exceptions
from tests.store.rows import HOUR, T0, audit, cluster, divergence, dump, exception, outbox


@pytest.fixture
def opened(store):
    """Exception 1, open since T0, one open divergence."""
    sync_exceptions(store, [divergence("d1")], [cluster()], T0)
    return store


def test_acknowledge_assign_resolve(opened):
    store = opened
    acknowledged = acknowledge(store, 1, "user:asha", now=T0 + HOUR)
    assigned = assign(store, 1, "ravi", "user:asha", now=T0 + 2 * HOUR)
    resolved = resolve(store, 1, "user:ravi", "re-sent the webhook", now=T0 + 3 * HOUR)

    assert [acknowledged["state"], assigned["state"], resolved["state"]] == ["acknowledged", "assigned", "resolved"]
    row = exception(store)
    assert (row.acknowledged_by, row.acknowledged_at, row.assignee) == ("user:asha", T0 + HOUR, "ravi")
    assert (row.closed_at, row.closed_reason, row.updated_at) == (T0 + 3 * HOUR, "re-sent the webhook", T0 + 3 * HOUR)
    assert audit(store) == [
        (1, 1, "system:sync", "opened", None, "open", None),
        (2, 1, "user:asha", "acknowledged", "open", "acknowledged", None),
        (3, 1, "user:asha", "assigned", "acknowledged", "assigned", None),
        (4, 1, "user:ravi", "resolved", "assigned", "resolved", "re-sent the webhook"),
    ]
    assert outbox(store) == [
        (1, 1, "post_parent", "#logistics_ops", "post_parent:opened"),
        (2, 1, "update_parent", "#logistics_ops", "update_parent:1:acknowledge:2"),
        (3, 1, "update_parent", "#logistics_ops", "update_parent:1:assign:3"),
        (4, 1, "update_parent", "#logistics_ops", "update_parent:1:resolve:4"),
    ]


def test_assigning_an_open_exception_acknowledges_it(opened):
    assign(opened, 1, "ravi", "user:asha", now=T0 + HOUR)
    reassigned = assign(opened, 1, "meena", "user:ravi", now=T0 + 2 * HOUR)

    row = exception(opened)
    assert (row.state, row.assignee, row.acknowledged_by, row.acknowledged_at) == (
        "assigned",
        "meena",
        "user:asha",
        T0 + HOUR,
    )
    assert reassigned["assignee"] == "meena"
    assert audit(opened)[1:] == [
        (2, 1, "user:asha", "assigned", "open", "assigned", None),
        (3, 1, "user:ravi", "assigned", "assigned", "assigned", None),
    ]


def test_ignore_needs_a_reason_and_is_final(opened):
    ignore(opened, 1, "user:asha", "test orders from the staging store", now=T0 + HOUR)

    assert audit(opened)[-1] == (
        2,
        1,
        "user:asha",
        "ignored",
        "open",
        "ignored_with_reason",
        "test orders from the staging store",
    )
    with pytest.raises(TransitionError) as error:
        resolve(opened, 1, "user:asha", "fixed")
    assert (
        str(error.value)
        == "exception 1 is ignored_with_reason: only open, acknowledged or assigned exceptions can be resolved"
    )


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        (
            [("acknowledge",)],
            ("acknowledge",),
            "exception 1 is acknowledged: only open exceptions can be acknowledged",
        ),
        (
            [("assign", "ravi")],
            ("acknowledge",),
            "exception 1 is assigned: only open exceptions can be acknowledged",
        ),
        (
            [("resolve", "done")],
            ("resolve", "again"),
            "exception 1 is resolved: only open, acknowledged or assigned exceptions can be resolved",
        ),
        (
            [("resolve", "done")],
            ("assign", "ravi"),
            "exception 1 is resolved: only open, acknowledged or assigned exceptions can be assigned",
        ),
        (
            [("ignore", "noise")],
            ("ignore", "more noise"),
            "exception 1 is ignored_with_reason: only open, acknowledged or assigned exceptions can be ignored",
        ),
        (
            [("assign", "ravi")],
            ("assign", "ravi"),
            "exception 1 is already assigned to ravi",
        ),
    ],
)
def test_refused_transitions_name_the_current_state_and_change_nothing(opened, setup, action, message):
    do = {
        "acknowledge": lambda: acknowledge(opened, 1, "user:asha"),
        "assign": lambda who: assign(opened, 1, who, "user:asha"),
        "resolve": lambda why: resolve(opened, 1, "user:asha", why),
        "ignore": lambda why: ignore(opened, 1, "user:asha", why),
    }
    for name, *args in setup:
        do[name](*args)
    before = dump(opened)

    with pytest.raises(TransitionError) as error:
        do[action[0]](*action[1:])

    assert str(error.value) == message
    assert dump(opened) == before


def test_auto_resolved_exceptions_refuse_manual_closing(opened):
    sync_exceptions(opened, [divergence("d1", status="resolved")], [cluster()], T0 + HOUR)

    with pytest.raises(TransitionError) as error:
        ignore(opened, 1, "user:asha", "noise")
    assert (
        str(error.value)
        == "exception 1 is auto_resolved: only open, acknowledged or assigned exceptions can be ignored"
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: resolve(s, 1, "user:asha", "  "), "a reason is required to resolve exception 1"),
        (lambda s: ignore(s, 1, "user:asha", ""), "a reason is required to ignore exception 1"),
        (lambda s: assign(s, 1, "", "user:asha"), "an assignee is required to assign exception 1"),
        (lambda s: acknowledge(s, 1, ""), "an actor is required to acknowledge exception 1"),
        (lambda s: acknowledge(s, 99, "user:asha"), "no exception with id 99"),
    ],
)
def test_missing_reason_actor_or_exception(opened, call, message):
    before = dump(opened)

    with pytest.raises(ReconError) as error:
        call(opened)

    assert str(error.value) == message
    assert dump(opened) == before
