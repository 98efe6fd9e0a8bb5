"""The Great Expectations suites on the divergence mart: business rules and referential integrity.

`fct_divergences` is what the exception sync reads and routes to Slack, so both suites run on it, as blocking Dagster
asset checks (`dagster_project/defs/quality.py`), on pandas batches read from DuckDB (GX's SQL datasource does not
support DuckDB).

- business rules: `divergence_id` set and unique; `classification`, `queue`, `status`, `severity` set and in their
  sets; `owner_team` set and one of the owner teams; `resolved_at` empty while open and set once resolved;
  `exposure_amount` not negative; `sla_due_at` set on open rows of the action queue.
- referential: `cluster_id` set and a cluster of `fct_divergence_clusters`; `order_id` set and, on every rule but
  `orphan_record`, an order of `fct_order_state`.

An `orphan_record` (R9) divergence's `order_id` is the orphan's own key as the source gave it (an awb, a raw order
id), which by definition no OMS order has, so it is exempt from the order reference.

Each expectation carries in `meta` the column it checks and the rule in words; a failure is reported with the column,
the exact number of rows that break it (GX's `unexpected_count`) and a few example rows by divergence id.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import great_expectations as gx
import pandas as pd
from great_expectations.expectations.row_conditions import Column

from expectations.gx_context import quiet_context

BUSINESS_RULES = "fct_divergences_business_rules"
REFERENTIAL = "fct_divergences_referential"

CLASSIFICATIONS = ("mapping_error", "manual_override", "sync_delay", "unknown")
QUEUES = ("action", "informational")
STATUSES = ("open", "resolved")
SEVERITIES = ("high", "medium", "low")
ORPHAN_RULE = "orphan_record"
# Columns each suite reads from fct_divergences.
BUSINESS_COLUMNS = (
    "divergence_id", "order_id", "rule", "classification", "queue", "status", "resolved_at", "severity",
    "owner_team", "exposure_amount", "sla_due_at",
)  # fmt: skip
REFERENTIAL_COLUMNS = ("divergence_id", "order_id", "rule", "cluster_id")
EXAMPLES = 5  # example rows named per failed expectation


@dataclass(frozen=True)
class Failure:
    """One failed expectation: `column` breaks `rule` in `bad_rows` rows; `examples` names the first few."""

    column: str
    rule: str
    bad_rows: int
    examples: tuple[str, ...]

    def line(self) -> str:
        rows = "1 row does not" if self.bad_rows == 1 else f"{self.bad_rows:,} rows do not"
        return f"{self.column} {self.rule}: {rows} (e.g. {', '.join(self.examples)})"

    def as_dict(self) -> dict:
        return {"column": self.column, "rule": self.rule, "bad_rows": self.bad_rows, "examples": list(self.examples)}


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    rows: int  # rows of fct_divergences validated
    expectations: int
    failures: tuple[Failure, ...]  # in suite order

    @property
    def passed(self) -> bool:
        return not self.failures


def _meta(column: str, rule: str) -> dict:
    return {"column": column, "rule": rule}


def _not_null(column: str, rule: str = "is set", **kwargs) -> gx.expectations.Expectation:
    return gx.expectations.ExpectColumnValuesToNotBeNull(column=column, meta=_meta(column, rule), **kwargs)


def _in_set(column: str, values: Iterable[str], rule: str | None = None, **kwargs) -> gx.expectations.Expectation:
    values = sorted({value for value in values if value is not None})
    rule = rule or f"is one of {', '.join(values)}"
    return gx.expectations.ExpectColumnValuesToBeInSet(
        column=column, value_set=values, meta=_meta(column, rule), **kwargs
    )


def business_rule_expectations(teams: Sequence[str]) -> list[gx.expectations.Expectation]:
    """The business-rule suite; `teams`: the owner teams a divergence may be routed to."""
    is_open, is_resolved = Column("status") == "open", Column("status") == "resolved"
    found = [
        _not_null("divergence_id"),
        gx.expectations.ExpectColumnValuesToBeUnique(column="divergence_id", meta=_meta("divergence_id", "is unique")),
    ]
    # A value outside the set and a missing value are different faults, and GX's set check skips nulls.
    for column, values in (
        ("classification", CLASSIFICATIONS),
        ("queue", QUEUES),
        ("status", STATUSES),
        ("severity", SEVERITIES),
        ("owner_team", teams),
    ):
        found += [_not_null(column), _in_set(column, values)]
    found += [
        gx.expectations.ExpectColumnValuesToBeNull(
            column="resolved_at", row_condition=is_open, meta=_meta("resolved_at", "is empty while status is open")
        ),
        _not_null("resolved_at", "is set once status is resolved", row_condition=is_resolved),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="exposure_amount", min_value=0, meta=_meta("exposure_amount", "is not negative")
        ),
        _not_null(
            "sla_due_at",
            "is set on open divergences in the action queue",
            row_condition=is_open & (Column("queue") == "action"),
        ),
    ]
    return found


def referential_expectations(cluster_ids: Iterable[str], order_ids: Iterable[str]) -> list[gx.expectations.Expectation]:
    """The referential suite against the clusters of `fct_divergence_clusters` and the orders of `fct_order_state`."""
    return [
        _not_null("cluster_id"),
        _in_set("cluster_id", cluster_ids, "is a cluster_id of fct_divergence_clusters"),
        _not_null("order_id"),
        _in_set(
            "order_id",
            order_ids,
            f"is an order_id of fct_order_state (every rule but {ORPHAN_RULE})",
            row_condition=Column("rule") != ORPHAN_RULE,
        ),
    ]


@functools.cache
def _context():
    context = quiet_context()
    context.data_sources.add_pandas("marts").add_dataframe_asset(
        "fct_divergences"
    ).add_batch_definition_whole_dataframe("batch")
    return context


def _label(frame: pd.DataFrame, index, column: str) -> str:
    """A row named by its divergence id (by order and rule when it has none), with the value at fault."""
    row = frame.loc[index]
    name = row["divergence_id"] if pd.notna(row["divergence_id"]) else f"order {row['order_id']} {row['rule']}"
    value = row[column]
    if column == "divergence_id" or pd.isna(value):
        return str(name)
    return f"{name} ({column} {value!r})" if isinstance(value, str) else f"{name} ({column} {value})"


def validate(suite: str, frame: pd.DataFrame, expectations: Sequence[gx.expectations.Expectation]) -> SuiteOutcome:
    """Run `expectations` on `frame` (rows of fct_divergences) as the suite `suite`."""
    context = _context()  # first: a suite is built within the current data context
    checks = gx.ExpectationSuite(name=suite)
    for expectation in expectations:
        checks.add_expectation(expectation)
    batch = (
        context.data_sources.get("marts")
        .get_asset("fct_divergences")
        .get_batch_definition("batch")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    by_meta = {}
    for outcome in batch.validate(checks, result_format={"result_format": "SUMMARY"}).results:
        meta = outcome.expectation_config.meta
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"{suite}: the check that {meta['column']} {meta['rule']} failed to run: "
                f"{outcome.exception_info.get('exception_message')}"
            )
        by_meta[(meta["column"], meta["rule"])] = outcome
    failures = []
    for expectation in checks.expectations:  # GX returns results in its own order; report in suite order
        column, rule = expectation.meta["column"], expectation.meta["rule"]
        outcome = by_meta[(column, rule)]
        if not outcome.success:
            indexes = outcome.result.get("partial_unexpected_index_list") or []
            failures.append(
                Failure(
                    column,
                    rule,
                    int(outcome.result["unexpected_count"]),
                    # A repeated id is one example however many copies of it break the rule.
                    tuple(dict.fromkeys(_label(frame, i, column) for i in indexes))[:EXAMPLES],
                )
            )
    return SuiteOutcome(suite, len(frame), len(checks.expectations), tuple(failures))


def validate_business_rules(divergences: pd.DataFrame, teams: Sequence[str]) -> SuiteOutcome:
    """`divergences`: fct_divergences with at least BUSINESS_COLUMNS, `exposure_amount` as a number."""
    return validate(BUSINESS_RULES, divergences, business_rule_expectations(teams))


def validate_referential(
    divergences: pd.DataFrame, cluster_ids: Iterable[str], order_ids: Iterable[str]
) -> SuiteOutcome:
    """`divergences`: fct_divergences with at least REFERENTIAL_COLUMNS."""
    return validate(REFERENTIAL, divergences, referential_expectations(cluster_ids, order_ids))
