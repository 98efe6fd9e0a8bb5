"""The post-replay verification suite: passes when the marts are what the dry-run promised, and fails naming each
broken expectation and the divergences or systems that broke it."""

from __future__ import annotations

import pandas as pd
import pytest

from dagster_project.marts import DIVERGENCE_COLUMNS
from expectations.replay_verification import Verification, verify_replay
from tests.store.rows import divergence

BEFORE = {"carrier": 120, "oms": 80}


def mart(*rows: tuple) -> pd.DataFrame:
    """fct_divergences after the execute, every column: (id, status, classification[, queue]) per row."""
    return pd.DataFrame(
        [
            divergence(row[0], status=row[1], classification=row[2], queue=row[3] if len(row) > 3 else "action")
            for row in rows
        ],
        columns=list(DIVERGENCE_COLUMNS),
    )


# A remap adding a carrier's delivered code: d1 and d2 resolve, d3 (another rule) stays open, d4 (a late event the
# replay reads) appears, d5 turns informational; the replay ingests 4 more carrier rows.
PROMISED = {
    "resolve": ["d1", "d2"],
    "appear": ["d4"],
    "reclassify": [],
    "after_rows": [
        ["d1", "resolved", "mapping_error", "action"],
        ["d2", "resolved", "mapping_error", "action"],
        ["d3", "open", "sync_delay", "action"],
        ["d4", "open", "unknown", "action"],
        ["d5", "open", "unknown", "informational"],
    ],
}
AS_PROMISED = [
    ("d1", "resolved", "mapping_error"),
    ("d2", "resolved", "mapping_error"),
    ("d3", "open", "sync_delay"),
    ("d4", "open", "unknown"),
    ("d5", "open", "unknown", "informational"),
]
COUNTS = {"counts_before": BEFORE, "counts_after": {"carrier": 124, "oms": 80}, "expected_rows_added": {"carrier": 4}}


def test_the_state_the_dry_run_promised_passes():
    verification = verify_replay(PROMISED, mart(*AS_PROMISED), **COUNTS)

    assert verification == Verification(
        passed=True,
        results=[
            {
                "expectation": "promised_resolutions",
                "passed": True,
                "detail": "promised to resolve: 2 divergences, each resolved or gone from fct_divergences",
            },
            {
                "expectation": "promised_appearances",
                "passed": True,
                "detail": "promised to appear: 1 divergence, each in fct_divergences",
            },
            {
                "expectation": "post_state_as_promised",
                "passed": True,
                "detail": "fct_divergences has exactly the promised rows (5 rows) by divergence_id, status, "
                "classification, queue",
            },
            {
                "expectation": "divergence_ids_unique",
                "passed": True,
                "detail": "no divergence id is repeated in fct_divergences (5 rows)",
            },
            {
                "expectation": "row_counts_add_up",
                "passed": True,
                "detail": "row counts add up (before + added = after) for carrier, oms",
            },
        ],
    )
    assert verification.failed == []
    assert verification.as_dict() == {"passed": True, "results": verification.results}


def test_a_divergence_promised_to_resolve_may_leave_the_mart():
    promised = {**PROMISED, "after_rows": [row for row in PROMISED["after_rows"] if row[0] != "d2"]}

    verification = verify_replay(promised, mart(*(row for row in AS_PROMISED if row[0] != "d2")), **COUNTS)

    assert verification.passed
    assert verification.results[0]["detail"] == (
        "promised to resolve: 2 divergences, each resolved or gone from fct_divergences"
    )


def test_each_broken_expectation_is_named_with_what_broke_it():
    after = mart(
        ("d1", "open", "mapping_error"),  # still open: promised to resolve
        ("d2", "resolved", "mapping_error"),
        ("d3", "open", "sync_delay"),
        ("d3", "open", "sync_delay"),  # twice
        # d4 never appeared
        ("d5", "open", "unknown", "informational"),
        ("d9", "open", "unknown"),  # nobody promised it
    )
    counts = {**COUNTS, "counts_after": {"carrier": 128, "oms": 79}}

    verification = verify_replay(PROMISED, after, **counts)

    assert not verification.passed
    assert verification.failed == [
        "promised_resolutions",
        "promised_appearances",
        "post_state_as_promised",
        "divergence_ids_unique",
        "row_counts_add_up",
    ]
    assert [result["detail"] for result in verification.results] == [
        "promised to resolve: 2 divergences; not resolved: d1 (open)",
        "promised to appear: 1 divergence; not in fct_divergences: d4",
        "fct_divergences differs from the promised post-state (status/classification/queue) for 3 divergences: "
        "d1 is open/mapping_error/action, promised resolved/mapping_error/action; "
        "d4 is missing, promised open/unknown/action; d9 is open/unknown/action, not promised",
        "divergence ids repeated in fct_divergences: d3",
        "row counts do not add up: carrier: 120 before + 4 added = 124 expected, 128 found; "
        "oms: 80 before + 0 added = 80 expected, 79 found",
    ]


def test_a_change_the_dry_run_did_not_promise_fails_only_the_post_state():
    # A classification the replay was not supposed to touch is gone.
    after = mart(*AS_PROMISED[:2], ("d3", "open", None), *AS_PROMISED[3:])

    verification = verify_replay(PROMISED, after, **COUNTS)

    assert verification.failed == ["post_state_as_promised"]
    assert verification.results[2]["detail"] == (
        "fct_divergences differs from the promised post-state (status/classification/queue) for 1 divergence: "
        "d3 is open/null/action, promised open/sync_delay/action"
    )


def test_long_lists_are_cut():
    ids = [f"d{i:02}" for i in range(25)]
    promised = {"resolve": ids, "after_rows": [[i, "resolved", "mapping_error", "action"] for i in ids]}

    verification = verify_replay(
        promised,
        mart(*((i, "open", "mapping_error") for i in ids)),
        counts_before={},
        counts_after={},
        expected_rows_added={},
    )

    assert verification.failed == ["promised_resolutions", "post_state_as_promised"]
    assert verification.results[0]["detail"] == (
        "promised to resolve: 25 divergences; not resolved: "
        + ", ".join(f"{i} (open)" for i in ids[:20])
        + " and 5 more"
    )
    assert verification.results[2]["detail"] == (
        "fct_divergences differs from the promised post-state (status/classification/queue) for 25 divergences: "
        + "; ".join(f"{i} is open/mapping_error/action, promised resolved/mapping_error/action" for i in ids[:20])
        + " and 5 more"
    )
    assert verification.results[4]["detail"] == "row counts add up (before + added = after) for no system"


def test_an_empty_mart_as_promised_passes():
    verification = verify_replay(
        {"after_rows": []}, mart(), counts_before={"oms": 3}, counts_after={"oms": 3}, expected_rows_added={}
    )

    assert verification.passed
    assert [result["detail"] for result in verification.results] == [
        "promised to resolve: none",
        "promised to appear: none",
        "fct_divergences has exactly the promised rows (0 rows) by divergence_id, status, classification, queue",
        "no divergence id is repeated in fct_divergences (0 rows)",
        "row counts add up (before + added = after) for oms",
    ]


@pytest.mark.parametrize(
    ("promised", "after", "message"),
    [
        (
            {"resolve": ["d1"]},
            mart(),
            "promised['after_rows'] is required: [[divergence_id, status, classification, queue], ...]",
        ),
        ({"resolve": "d1", "after_rows": []}, mart(), "promised['resolve'] must be a list of divergence ids"),
        (
            {"after_rows": [["d1", "open", "unknown"]]},
            mart(),
            "promised after_rows: ['d1', 'open', 'unknown'] is not [divergence_id, status, classification, queue]",
        ),
        (
            {"after_rows": [["d1", "open", "unknown", "action"], ["d1", "resolved", "unknown", "action"]]},
            mart(),
            "promised after_rows: divergence d1 is listed twice",
        ),
        (
            {"after_rows": []},
            pd.DataFrame({"divergence_id": []}),
            "the fct_divergences frame lacks status, classification, queue",
        ),
    ],
)
def test_malformed_input_is_refused(promised, after, message):
    with pytest.raises(ValueError) as refused:
        verify_replay(promised, after, counts_before={}, counts_after={}, expected_rows_added={})

    assert str(refused.value) == message
