"""The contract suite of each source system, and row-level results from validating a batch against it.

Each expectation carries in `meta` the field it checks and the kind of check, so that every row it
rejects gets a reason a user can act on ("missing required field 'order_id'", "event_ts '...' has no
UTC offset"). Expectations run in suite order; a row's reason is the first one it fails.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import great_expectations as gx
import pandas as pd
from great_expectations.expectations.row_conditions import Column

from dagster_project.contract import DECIMAL, INTEGER, SYSTEMS, TIMESTAMP, Field, fields
from expectations.gx_context import quiet_context

# ISO 8601 date and time, optional seconds and fraction, optional offset (checked separately).
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
HAS_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"
NUMBER = r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$"
WHOLE_NUMBER = r"^\s*[+-]?\d+\s*$"

MISSING, NOT_TIMESTAMP, NO_OFFSET, NOT_NUMBER, NOT_INTEGER = (
    "missing",
    "not_timestamp",
    "no_offset",
    "not_number",
    "not_integer",
)


def reason_for(check: str, field: Field, value: str | None) -> str:
    """The reason stored with a quarantined row, naming the field, the value and what is expected."""
    if check == MISSING:
        if field.when_field:
            condition = " or ".join(field.when_values)
            return f"missing field '{field.name}', required when {field.when_field} is {condition}"
        return f"missing required field '{field.name}'"
    if check == NOT_TIMESTAMP:
        return f"{field.name} {value!r} is not an ISO 8601 timestamp (e.g. 2026-03-01T10:15:00+05:30)"
    if check == NO_OFFSET:
        return f"{field.name} {value!r} has no UTC offset; add one (Z, +05:30, ...)"
    if check == NOT_NUMBER:
        return f"{field.name} {value!r} is not a number"
    return f"{field.name} {value!r} is not a whole number"


def _condition(field: Field) -> dict:
    if not field.when_field:
        return {}
    return {"row_condition": Column(field.when_field).is_in(field.when_values)}


def _expectations(field: Field) -> list:
    meta = {"field": field.name}
    found = []
    if field.required:
        found.append(
            gx.expectations.ExpectColumnValuesToNotBeNull(
                column=field.name, meta={**meta, "check": MISSING}, **_condition(field)
            )
        )
    if field.type == TIMESTAMP:
        found.append(
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column=field.name, regex=ISO_DATETIME, meta={**meta, "check": NOT_TIMESTAMP}
            )
        )
        found.append(
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column=field.name, regex=HAS_OFFSET, meta={**meta, "check": NO_OFFSET}
            )
        )
    elif field.type == DECIMAL:
        found.append(
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column=field.name, regex=NUMBER, meta={**meta, "check": NOT_NUMBER}
            )
        )
    elif field.type == INTEGER:
        found.append(
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column=field.name, regex=WHOLE_NUMBER, meta={**meta, "check": NOT_INTEGER}
            )
        )
    return found


def suite_name(system: str) -> str:
    return f"{system}_contract"


def build_suite(system: str) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=suite_name(system))
    for field in fields(system):
        for expectation in _expectations(field):
            suite.add_expectation(expectation)
    return suite


@functools.cache
def _context():
    context = quiet_context()
    source = context.data_sources.add_pandas("landing")
    for system in SYSTEMS:
        context.suites.add(build_suite(system))
        source.add_dataframe_asset(system).add_batch_definition_whole_dataframe("batch")
    return context


@dataclass(frozen=True)
class RowFailure:
    index: int  # the frame's index label of the failing row
    field: str
    reason: str


def validate_contract(system: str, frame: pd.DataFrame) -> tuple[list[RowFailure], dict]:
    """Validate a batch of text rows against the system's contract suite.

    Returns one failure per failing row (the first expectation it fails, in suite order) and a small
    summary (expectations evaluated, how many failed) for asset metadata.
    """
    if frame.empty:
        return [], {"expectations": 0, "failed_expectations": 0}
    context = _context()
    batch = (
        context.data_sources.get("landing")
        .get_asset(system)
        .get_batch_definition("batch")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(context.suites.get(suite_name(system)), result_format={"result_format": "COMPLETE"})
    by_name = {f.name: f for f in fields(system)}
    first: dict[int, RowFailure] = {}
    failed = 0
    for outcome in result.results:
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"contract check of {system} failed to run: {outcome.exception_info.get('exception_message')}"
            )
        if outcome.success:
            continue
        failed += 1
        meta = outcome.expectation_config.meta
        field = by_name[meta["field"]]
        column = frame[field.name]
        for index in outcome.result.get("unexpected_index_list") or []:
            if index not in first:
                value = column.at[index]
                first[index] = RowFailure(
                    index, field.name, reason_for(meta["check"], field, None if pd.isna(value) else value)
                )
    summary = {"expectations": len(result.results), "failed_expectations": failed}
    return sorted(first.values(), key=lambda f: f.index), summary
