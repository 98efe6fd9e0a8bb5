"""What a Dagster user sees on the materialisations: each mart's figures (equal to the mart queried directly and
to the run summary), the top-clusters table with its Slack thread links, and the `exceptions` asset's counts and
the exceptions it opened, linked to their threads in the loopback Slack fake.

Two real runs over one simulated landing zone, with someone resolving an exception in between; then the stream
wrapper of the dbt asset on its own: event order, a failed dbt build, a failed reading.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DagsterDbtCliRuntimeError
from sqlalchemy import select

from dagster_project.defs.transform import with_mart_metadata
from dagster_project.home import Home
from dagster_project.mart_metrics import top_clusters_markdown
from dagster_project.pipeline import run_pipeline
from dagster_project.simulator import simulate
from dagster_project.store import list_exceptions, open_store, resolve
from dagster_project.store.models import SlackOutbox
from dagster_project.store.outbox import ExceptionThread
from tests.slack.conftest import TOKEN
from tests.slack.fake_slack import FakeSlack

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
PROXIES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
FIGURES = {
    "fct_order_state": {"orders", "orders_in_agreement", "orders_with_open_action_divergences"},
    "fct_divergences": {"divergences", "open_action_divergences", "informational_divergences", "open_exposure_amount"},
    "fct_divergence_clusters": {"clusters", "action_clusters"},
    "rpt_kpis_daily": {"orders", "orders_with_action_divergence", "match_rate", "exceptions_per_1000_orders"},
    "rpt_integration_drift": {"status_events", "unmapped_status_events", "unmapped_status_rate", "drift_flags"},
    "exceptions": {
        "opened", "file_exceptions_opened", "auto_resolved", "resolved_manually", "resolved", "open_total",
        "slack_sent", "slack_failed", "slack_pending",
    },
}  # fmt: skip
MARTS = ["fct_order_state", "fct_divergences", "fct_divergence_clusters", "rpt_kpis_daily", "rpt_integration_drift"]
ASSETS = [*FIGURES, "mart_build"]


def materialised(home: Home, run_id: str) -> dict[str, dict]:
    """The latest materialisation's metadata of each asset, checked to be this run's."""
    instance = dg.DagsterInstance.from_config(str(home.dagster_home))
    found = {}
    for asset in ASSETS:
        event = instance.get_latest_materialization_event(dg.AssetKey([asset]))
        assert event.run_id == run_id, asset
        found[asset] = dict(event.asset_materialization.metadata)
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mart_metadata")
    simulated = simulate(150, 3, tmp / "sim", as_of=AS_OF)
    with pytest.MonkeyPatch.context() as env, FakeSlack(token=TOKEN) as slack:
        for name in (*PROXIES, "RECON_STORE_URL"):
            env.delenv(name, raising=False)
        env.setenv("SLACK_BOT_TOKEN", TOKEN)
        env.setenv("RECON_SLACK_BASE_URL", slack.base_url)
        home = Home(tmp / "home").ensure()
        first = run_pipeline(home, simulated.landing, AS_OF)
        first_metadata = materialised(home, first.run_id)
        with open_store(home.store_url) as store:
            resolve(store, 1, "user:asha", "fixed at the source")
        second = run_pipeline(home, simulated.landing, AS_OF)
        yield SimpleNamespace(
            home=home,
            slack=slack,
            first=first,
            second=second,
            metadata=[first_metadata, materialised(home, second.run_id)],
        )


def values(metadata: dict) -> dict:
    return {key: entry.value for key, entry in metadata.items()}


def query(home: Home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


# --- the marts' figures -------------------------------------------------------------------------------------


def test_every_figure_is_a_number_under_the_same_keys_every_run(runs):
    for metadata in runs.metadata:
        for asset, keys in FIGURES.items():
            numbers = {
                key
                for key, entry in metadata[asset].items()
                if isinstance(entry, dg.IntMetadataValue | dg.FloatMetadataValue)
            }
            assert keys <= numbers, asset
        # dagster-dbt's own metadata is kept; a mart without figures gets none.
        for mart in [*MARTS, "mart_build"]:
            assert metadata[mart]["unique_id"].value == f"model.recon.{mart}"
        assert set(metadata["mart_build"]) & set().union(*FIGURES.values()) == set()
    first, second = ({asset: set(m[asset]) for asset in ASSETS} for m in runs.metadata)
    assert first == second


def test_the_figures_are_the_marts_and_the_run_summary(runs):
    home = runs.home
    figures = [{asset: values(metadata) for asset, metadata in run.items()} for run in runs.metadata]

    agreement = query(home, "select is_in_agreement, open_action_divergences from fct_order_state")
    order_state = {
        "orders": len(agreement),
        "orders_in_agreement": sum(1 for agrees, _ in agreement if agrees),
        "orders_with_open_action_divergences": sum(1 for _, open_action in agreement if open_action > 0),
    }
    rows = query(home, "select status, queue, exposure_amount from fct_divergences")
    open_action = [exposure for status, queue, exposure in rows if (status, queue) == ("open", "action")]
    divergences = {
        "divergences": len(rows),
        "open_action_divergences": len(open_action),
        "informational_divergences": sum(1 for _, queue, _ in rows if queue == "informational"),
        "open_exposure_amount": float(sum((e or Decimal(0) for e in open_action), Decimal(0))),
    }
    days = query(
        home,
        "select orders, orders_with_action_divergence, action_divergences from rpt_kpis_daily where dimension = 'all'",
    )
    orders, with_action, action = (sum(day[i] for day in days) for i in range(3))
    kpis = {
        "orders": orders,
        "orders_with_action_divergence": with_action,
        "match_rate": 1.0 - with_action / orders,
        "exceptions_per_1000_orders": action * 1000.0 / orders,
    }
    drift_rows = query(
        home,
        "select source_system, metric_date, status_events, unmapped_status_events, is_drift from rpt_integration_drift",
    )
    system_days = {(system, day): (events, unmapped) for system, day, events, unmapped, _ in drift_rows}
    status_events = sum(events for events, _ in system_days.values())
    unmapped = sum(unmapped for _, unmapped in system_days.values())
    drift = {
        "status_events": status_events,
        "unmapped_status_events": unmapped,
        "unmapped_status_rate": unmapped / status_events,
        "drift_flags": sum(1 for *_, is_drift in drift_rows if is_drift),
    }
    clusters = query(home, "select action_divergences from fct_divergence_clusters")
    cluster_counts = {"clusters": len(clusters), "action_clusters": sum(1 for (action,) in clusters if action > 0)}

    assert divergences["open_action_divergences"] > 0 and unmapped > 0 and 0 < kpis["match_rate"] < 1
    # The same landing and as_of twice: the same marts, the same figures.
    for run in figures:
        assert {key: run["fct_order_state"][key] for key in order_state} == order_state
        assert {key: run["fct_divergences"][key] for key in divergences} == divergences
        assert {key: run["rpt_kpis_daily"][key] for key in kpis} == kpis
        assert {key: run["rpt_integration_drift"][key] for key in drift} == drift
        assert {key: run["fct_divergence_clusters"][key] for key in cluster_counts} == cluster_counts
    for report, run in zip((runs.first, runs.second), figures, strict=True):
        summary = report.divergences
        assert (summary["total"], summary["open_action"], summary["informational"]) == (
            run["fct_divergences"]["divergences"],
            run["fct_divergences"]["open_action_divergences"],
            run["fct_divergences"]["informational_divergences"],
        )


# --- the top-clusters table and the Slack links --------------------------------------------------------------


def table_rows(markdown: str) -> list[list[str]]:
    """The body rows of a Markdown table, each cell unescaped."""
    return [
        [re.sub(r"\\(.)", r"\1", cell.strip()) for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        for line in markdown.splitlines()[2:]
    ]


def thread_link(slack: FakeSlack, home: Home, exception_id: int) -> str:
    """The exception's parent message as the fake Slack holds it (found by the key it carries), as a permalink."""
    parent = select(SlackOutbox.idempotency_key).filter_by(exception_id=exception_id, kind="post_parent")
    with open_store(home.store_url) as store, store.session() as session:
        key = session.scalars(parent).one()
    (message,) = [m for m in slack.messages if m.metadata and m.metadata["event_payload"]["key"] == key]
    return f"https://slack.com/archives/{message.channel}/p{message.ts.replace('.', '')}"


def expected_top_clusters(home: Home) -> list[list[str]]:
    """(cluster id, then the table's cells but the last) of the ten clusters with most open divergences, then most
    exposure, then most divergences, then by cluster id."""
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        cursor = conn.execute("select * from fct_divergence_clusters")
        names = [column[0] for column in cursor.description]
        clusters = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    clusters.sort(key=lambda c: (-c["open_divergences"], -c["exposure_amount"], -c["divergences"], c["cluster_id"]))
    return [
        [
            c["cluster_id"],
            c["rule"],
            c["classification"],
            c["owner_team"],
            ", ".join(f"{name} {c[name]}" for name in ("carrier", "zone", "payment_mode", "system") if c[name]) or "—",
            f"{c['bucket_start']:%Y-%m-%d %H:%M} ({c['bucket_grain']})",
            f"{c['divergences']:,}",
            f"{c['open_divergences']:,}",
            f"{c['exposure_amount']:,.2f}" + (f" {c['currency']}" if c["currency"] else ""),
        ]
        for c in clusters[:10]
    ]


def test_the_top_clusters_table_links_each_cluster_to_its_exception_thread(runs):
    home = runs.home
    expected = expected_top_clusters(home)
    first, second = (table_rows(m["fct_divergence_clusters"]["top_clusters"].value) for m in runs.metadata)

    # The first run's marts were built before its sync opened any exception: no links, and no error.
    assert first == [[*row[1:], "—"] for row in expected]
    with open_store(home.store_url) as store:
        exception_of = {e["cluster_id"]: e["exception_id"] for e in list_exceptions(store)}
    linked = [
        [*row[1:], f"[exception {exception_of[row[0]]}]({thread_link(runs.slack, home, exception_of[row[0]])})"]
        if row[0] in exception_of
        else [*row[1:], "—"]
        for row in expected
    ]
    assert second == linked
    assert any(row[0] in exception_of for row in expected)
    assert any(row[0] not in exception_of for row in expected)  # informational clusters open no exception


def test_the_top_clusters_table_shows_source_values_as_typed_and_links_only_posted_threads():
    cluster = {
        "cluster_id": "c1",
        "rule": "delivery_status_conflict",
        "classification": "unknown",
        "owner_team": "logistics_ops",
        "carrier": "<!here> | [x](https://evil.example)",
        "zone": None,
        "payment_mode": "cod",
        "system": None,
        "bucket_grain": "hour",
        "bucket_start": datetime(2026, 3, 1, 8, 0),
        "divergences": 1234,
        "open_divergences": 3,
        "exposure_amount": Decimal("98901.5"),
        "currency": "INR",
    }
    posted = ExceptionThread(7, "c1", "r", "k", "logistics_ops", "high", {}, "C0LOGISTIC", "1760000001.000001")
    waiting = ExceptionThread(8, "c2", "r", "k", "logistics_ops", "high", {}, None, None)
    rows = [cluster, {**cluster, "cluster_id": "c2"}, {**cluster, "cluster_id": "c3", "currency": None}]

    body = top_clusters_markdown(rows, {"c1": posted, "c2": waiting}).splitlines()[2:]

    same = (
        "| delivery\\_status\\_conflict | unknown | logistics\\_ops | "
        "carrier \\<\\!here\\> \\| \\[x\\]\\(https://evil.example\\), payment_mode cod | 2026-03-01 08:00 (hour) | "
        "1,234 | 3 | "
    )
    assert body == [
        same + "98,901.50 INR | [exception 7](https://slack.com/archives/C0LOGISTIC/p1760000001000001) |",
        same + "98,901.50 INR | exception 8 |",
        same + "98,901.50 | — |",
    ]
    assert table_rows("\n\n" + body[0])[0][3] == "carrier <!here> | [x](https://evil.example), payment_mode cod"
    assert top_clusters_markdown([], {}) == "No divergence clusters."


def test_a_sent_message_records_the_channel_id_slack_answered_with(runs):
    with open_store(runs.home.store_url) as store, store.session() as session:
        parents = session.query(SlackOutbox).filter_by(kind="post_parent").all()
        recorded = {row.idempotency_key: (row.channel_id, row.message_ts) for row in parents}
    posted = {m.metadata["event_payload"]["key"]: (m.channel, m.ts) for m in runs.slack.messages if m.metadata}
    assert recorded and recorded == {key: posted[key] for key in recorded}
    assert {channel for channel, _ in recorded.values()} <= {"C0LOGISTIC", "C0FINANCE1", "C0CXOPS001", "C0INTEGRAT"}


# --- the exceptions asset -------------------------------------------------------------------------------------


def test_the_exceptions_asset_counts_opened_resolved_and_open_and_links_what_it_opened(runs):
    home = runs.home
    first, second = (values(m["exceptions"]) for m in runs.metadata)
    with open_store(home.store_url) as store:
        everything = list_exceptions(store)
    clusters = sum(1 for e in everything if not e["cluster_id"].startswith("file:"))
    files = len(everything) - clusters
    assert clusters > 5 and files > 0

    assert (first["opened"], first["file_exceptions_opened"]) == (clusters, files)
    assert (first["auto_resolved"], first["resolved_manually"], first["resolved"]) == (0, 0, 0)
    assert first["open_total"] == len(everything)
    assert first["slack_sent"] == len(everything) and first["slack_pending"] == 0
    assert table_rows(first["opened_exceptions"]) == [
        [
            f"[exception {e['exception_id']}]({thread_link(runs.slack, home, e['exception_id'])})",
            e["severity"],
            e["rule"],
            e["classification"],
            e["owner_team"],
            ", ".join(
                f"{name} {e[name]}" for name in ("carrier", "zone", "payment_mode", "system") if e[name] is not None
            )
            or "—",
        ]
        for e in everything
    ]

    # Between the runs asha resolved exception 1: the second run counts it, and nothing new opened.
    assert (second["opened"], second["file_exceptions_opened"]) == (0, 0)
    assert (second["auto_resolved"], second["resolved_manually"], second["resolved"]) == (0, 1, 1)
    assert second["open_total"] == len(everything) - 1
    assert second["opened_exceptions"] == "No exception opened in this run."
    assert second["synced_at"] > first["synced_at"]
    assert second["slack_sent"] == 1  # the edit of exception 1's message


# --- the stream wrapper on its own ------------------------------------------------------------------------------


def output(name: str, **metadata) -> dg.Output:
    return dg.Output(None, output_name=name, metadata={"unique_id": f"model.recon.{name}", **metadata})


def check(name: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(asset_key=dg.AssetKey([name]), check_name=f"not_null_{name}", passed=True)


def stream(events, finished: list, error: Exception | None = None):
    yield from events
    finished.append(True)
    if error is not None:
        raise error


def mart_of(event) -> str | None:
    if isinstance(event, dg.Output) and event.output_name.startswith(("fct_", "rpt_")):
        return event.output_name
    return None


def summary(events) -> list[tuple]:
    return [(type(e).__name__, getattr(e, "output_name", None) or e.check_name, dict(e.metadata)) for e in events]


EVENTS = [
    output("stg_oms__events"),
    output("fct_order_state"),
    check("fct_order_state"),
    output("int_late"),  # after a mart: held too, so the order stays
    output("fct_divergences"),
    check("fct_divergences"),
]


def test_the_events_keep_their_order_and_wait_for_the_end_of_the_stream_only_from_the_first_mart_on():
    finished, asked = [], []

    def read(marts):
        assert finished, "the warehouse is read only once dbt has finished"
        asked.append(marts)
        return {mart: {"orders": dg.MetadataValue.int(len(mart))} for mart in marts}

    events = with_mart_metadata(stream(EVENTS, finished), mart_of, read)
    assert next(events) is EVENTS[0] and not finished
    rest = list(events)

    assert asked == [{"fct_order_state", "fct_divergences"}]
    assert summary(rest) == summary(
        [
            output("fct_order_state", orders=dg.MetadataValue.int(15)),
            EVENTS[2],
            EVENTS[3],
            output("fct_divergences", orders=dg.MetadataValue.int(15)),
            EVENTS[5],
        ]
    )


def test_a_run_without_marts_reads_nothing():
    def read(marts):
        raise AssertionError("nothing to read")

    events = [output("stg_oms__events"), check("stg_oms__events")]
    assert list(with_mart_metadata(stream(events, []), mart_of, read)) == events


def test_a_failed_dbt_build_still_materialises_what_it_built_with_its_figures():
    failure = DagsterDbtCliRuntimeError(description="dbt build failed: a test did not pass")
    wrapped = with_mart_metadata(
        stream(EVENTS[:3], [], failure), mart_of, lambda marts: {m: {"orders": dg.MetadataValue.int(1)} for m in marts}
    )
    seen = []
    with pytest.raises(DagsterDbtCliRuntimeError):
        seen.extend(wrapped)
    assert summary(seen) == summary([EVENTS[0], output("fct_order_state", orders=dg.MetadataValue.int(1)), EVENTS[2]])


def test_a_failed_reading_still_materialises_the_marts_then_fails():
    def read(marts):
        raise duckdb.IOException("the warehouse is held by another process")

    seen = []
    with pytest.raises(duckdb.IOException):
        seen.extend(with_mart_metadata(stream(EVENTS, []), mart_of, read))
    assert seen == EVENTS
