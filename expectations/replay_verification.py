"""Post-replay verification: after an execute, a Great Expectations suite checks that the marts are what the
dry-run promised, and the replay is marked verified or failed (`store.replays.finish_replay`).

The dry-run builds the replay in a scratch copy and computes the whole post-replay `fct_divergences`; what it
promises is data, `promised`:

    {
        "resolve": [divergence_id, ...],     # will be resolved, or gone from the mart
        "appear": [divergence_id, ...],      # will be in the mart (new ones)
        "reclassify": [divergence_id, ...],  # will change classification (checked through after_rows)
        "after_rows": [[divergence_id, status, classification, queue], ...],  # every row of the post-replay mart
    }

`resolve`, `appear` and `reclassify` may be left out (nothing promised); `after_rows` is required (an empty list: an
empty mart). The checks, each a GX expectation on a pandas batch:

| result name | the expectation (on `fct_divergences` unless told) | passes when |
|---|---|---|
| `promised_resolutions` | `status` in {resolved}, row condition: id promised to resolve | each is resolved or absent |
| `promised_appearances` | distinct `divergence_id`s contain the promised set | each promised one is present |
| `post_state_as_promised` | distinct `state_key`s equal the promised set | nothing else changed (below) |
| `divergence_ids_unique` | `divergence_id` unique | the mart has one row per divergence |
| `row_counts_add_up` | one row per system: column pair `after` == `expected` (before + added) | every system adds up |

"Nothing else changed" compares the whole post-state, not only the promised changes: `state_key` is the JSON text
of `[divergence_id, status, classification, queue]`, one column per row, and `ExpectColumnDistinctValuesToEqualSet`
against the keys of `after_rows` is one expectation for set equality in both directions. With unique ids on both
sides, equal sets mean equal rows. A checksum of the frame would say only that something differs; the key sets say
which divergences, so the detail names them (changed, not promised, missing), sorted by id.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.expectations.row_conditions import Column

from expectations.gx_context import quiet_context

RESOLVED = "promised_resolutions"
APPEARED = "promised_appearances"
POST_STATE = "post_state_as_promised"
UNIQUE = "divergence_ids_unique"
COUNTS = "row_counts_add_up"
CHECKS = (RESOLVED, APPEARED, POST_STATE, UNIQUE, COUNTS)

STATE_COLUMNS = ("divergence_id", "status", "classification", "queue")
STATE = "/".join(STATE_COLUMNS[1:])
# Divergences (or rows) named in a detail; then "and N more".
LISTED = 20


@dataclass(frozen=True)
class Verification:
    """`passed` when every check passed; `results`: `{"expectation", "passed", "detail"}` per check, in the order
    of the table above."""

    passed: bool
    results: list[dict[str, Any]]

    @property
    def failed(self) -> list[str]:
        return [result["expectation"] for result in self.results if not result["passed"]]

    def as_dict(self) -> dict[str, Any]:
        """What `finish_replay` records as the replay's verification."""
        return {"passed": self.passed, "results": [dict(result) for result in self.results]}


@functools.cache
def _context():
    context = quiet_context()
    source = context.data_sources.add_pandas("replay_verification")
    for asset in ("fct_divergences", "row_counts"):
        source.add_dataframe_asset(asset).add_batch_definition_whole_dataframe("batch")
    return context


def _validate(asset: str, frame: pd.DataFrame, expectations: Sequence) -> dict[str, Any]:
    """Each check's GX result (its `result` dict and success), by the check name in its meta."""
    context = _context()  # first: a suite is built within the current data context
    suite = gx.ExpectationSuite(name=f"replay_{asset}")
    for expectation in expectations:
        suite.add_expectation(expectation)
    batch = (
        context.data_sources.get("replay_verification")
        .get_asset(asset)
        .get_batch_definition("batch")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    outcomes = {}
    for outcome in batch.validate(suite, result_format={"result_format": "COMPLETE"}).results:
        check = outcome.expectation_config.meta["check"]
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"replay verification {check} failed to run: {outcome.exception_info['exception_message']}"
            )
        outcomes[check] = outcome
    return outcomes


def _text(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)


def _state_key(values: Iterable[Any]) -> str:
    """`[divergence_id, status, classification, queue]` as one comparable text (missing values as null)."""
    return json.dumps([_text(value) for value in values], ensure_ascii=False)


def _ids(promised: Mapping[str, Any], key: str) -> list[str]:
    ids = promised.get(key) or []
    if isinstance(ids, str) or not all(isinstance(i, str) and i for i in ids):
        raise ValueError(f"promised[{key!r}] must be a list of divergence ids")
    return sorted(set(ids))


def _listed(items: Sequence[str], separator: str = ", ") -> str:
    more = len(items) - LISTED
    return separator.join(items[:LISTED]) + (f" and {more:,} more" if more > 0 else "")


def _count(n: int, noun: str = "divergence") -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _promised_keys(promised: Mapping[str, Any]) -> list[str]:
    if "after_rows" not in promised:
        raise ValueError("promised['after_rows'] is required: [[divergence_id, status, classification, queue], ...]")
    keys, seen = [], set()
    for row in promised["after_rows"]:
        if len(row) != len(STATE_COLUMNS):
            raise ValueError(f"promised after_rows: {row!r} is not [divergence_id, status, classification, queue]")
        if row[0] in seen:
            raise ValueError(f"promised after_rows: divergence {row[0]} is listed twice")
        seen.add(row[0])
        keys.append(_state_key(row))
    return keys


def _state_frame(after: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in STATE_COLUMNS if column not in after.columns]
    if missing:
        raise ValueError(f"the fct_divergences frame lacks {', '.join(missing)}")
    frame = pd.DataFrame({column: [_text(value) for value in after[column]] for column in STATE_COLUMNS}, dtype=object)
    frame["state_key"] = [_state_key(row) for row in frame[list(STATE_COLUMNS)].itertuples(index=False)]
    return frame


def _counts_frame(before: Mapping[str, int], after: Mapping[str, int], added: Mapping[str, int]) -> pd.DataFrame:
    systems = sorted(set(before) | set(after) | set(added))
    frame = pd.DataFrame(
        {
            "system": systems,
            "before": [int(before.get(system, 0)) for system in systems],
            "added": [int(added.get(system, 0)) for system in systems],
            "after": [int(after.get(system, 0)) for system in systems],
        }
    )
    frame["expected"] = frame["before"] + frame["added"]
    return frame


def _decoded(keys: Iterable[str]) -> dict[str, str]:
    """divergence_id → `status/classification/queue`, from state keys."""
    return {row[0]: "/".join("null" if value is None else value for value in row[1:]) for row in map(json.loads, keys)}


def _post_state_detail(found_keys: Iterable[str], promised_keys: Sequence[str], success: bool) -> str:
    if success:
        rows = _count(len(promised_keys), "row")
        return f"fct_divergences has exactly the promised rows ({rows}) by {', '.join(STATE_COLUMNS)}"
    # GX gives the verdict; its lists of keys are capped at 20 and unordered, so the divergences are named from the
    # same two key sets here, by id.
    found_keys, promised_keys = set(found_keys), set(promised_keys)
    found, wanted = _decoded(found_keys - promised_keys), _decoded(promised_keys - found_keys)
    lines = []
    for divergence_id in sorted(set(found) | set(wanted)):
        if divergence_id in found and divergence_id in wanted:
            lines.append(f"{divergence_id} is {found[divergence_id]}, promised {wanted[divergence_id]}")
        elif divergence_id in found:
            lines.append(f"{divergence_id} is {found[divergence_id]}, not promised")
        else:
            lines.append(f"{divergence_id} is missing, promised {wanted[divergence_id]}")
    return f"fct_divergences differs from the promised post-state ({STATE}) for {_count(len(lines))}: " + _listed(
        lines, separator="; "
    )


def verify_replay(
    promised: Mapping[str, Any],
    after: pd.DataFrame,
    *,
    counts_before: Mapping[str, int],
    counts_after: Mapping[str, int],
    expected_rows_added: Mapping[str, int],
) -> Verification:
    """Check the state after an execute against what its dry-run promised (`promised`, module docstring).

    `after`: the `fct_divergences` rows after the execute (at least the columns divergence_id, status,
    classification, queue; `dagster_project.marts.DIVERGENCE_COLUMNS` are all fine). `counts_before` and
    `counts_after`: rows per system (of the tables the replay adds to) before and after the execute;
    `expected_rows_added`: how many the dry-run said each system gains. A system missing from one of them counts 0.
    """
    resolve, appear, keys = _ids(promised, "resolve"), _ids(promised, "appear"), _promised_keys(promised)
    frame = _state_frame(after)
    outcomes = _validate(
        "fct_divergences",
        frame,
        [
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="status",
                value_set=["resolved"],
                row_condition=Column("divergence_id").is_in(resolve),
                meta={"check": RESOLVED},
            ),
            gx.expectations.ExpectColumnDistinctValuesToContainSet(
                column="divergence_id", value_set=appear, meta={"check": APPEARED}
            ),
            gx.expectations.ExpectColumnDistinctValuesToEqualSet(
                column="state_key", value_set=keys, meta={"check": POST_STATE}
            ),
            gx.expectations.ExpectColumnValuesToBeUnique(column="divergence_id", meta={"check": UNIQUE}),
        ],
    )
    counts = _counts_frame(counts_before, counts_after, expected_rows_added)
    outcomes |= _validate(
        "row_counts",
        counts,
        [
            gx.expectations.ExpectColumnPairValuesToBeEqual(
                column_A="after", column_B="expected", meta={"check": COUNTS}
            )
        ],
    )

    def detail(check: str, success: bool, result: Mapping[str, Any]) -> str:
        if check == RESOLVED:
            promised_here = f"promised to resolve: {_count(len(resolve)) if resolve else 'none'}"
            if success:
                return f"{promised_here}, each resolved or gone from fct_divergences" if resolve else promised_here
            rows = frame.loc[result["unexpected_index_list"]]
            return f"{promised_here}; not resolved: " + _listed(
                sorted(f"{row.divergence_id} ({row.status})" for row in rows.itertuples())
            )
        if check == APPEARED:
            promised_here = f"promised to appear: {_count(len(appear)) if appear else 'none'}"
            if success:
                return f"{promised_here}, each in fct_divergences" if appear else promised_here
            missing = sorted(set(appear) - set(frame["divergence_id"]))
            return f"{promised_here}; not in fct_divergences: {_listed(missing)}"
        if check == POST_STATE:
            return _post_state_detail(frame["state_key"], keys, success)
        if check == UNIQUE:
            if success:
                return f"no divergence id is repeated in fct_divergences ({_count(len(frame), 'row')})"
            return f"divergence ids repeated in fct_divergences: {_listed(sorted(set(result['unexpected_list'])))}"
        if success:
            systems = ", ".join(counts["system"]) or "no system"
            return f"row counts add up (before + added = after) for {systems}"
        rows = counts.loc[result["unexpected_index_list"]]
        return "row counts do not add up: " + "; ".join(
            f"{r.system}: {r.before:,} before + {r.added:,} added = {r.expected:,} expected, {r.after:,} found"
            for r in rows.itertuples()
        )

    results = [
        {
            "expectation": check,
            "passed": bool(outcomes[check].success),
            "detail": detail(check, bool(outcomes[check].success), outcomes[check].result),
        }
        for check in CHECKS
    ]
    return Verification(passed=all(result["passed"] for result in results), results=results)
