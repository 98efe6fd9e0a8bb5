"""The dbt project as Dagster assets: staging → intermediate → marts, dbt tests as asset checks.

Each mart's materialisation also carries its headline figures (`mart_metrics.py`, docs/ui_metadata.md). The dbt
process holds the DuckDB file open for writing until it exits, so they are read once `dbt build` has finished:
the events from the first mart's on are held back until then, and yielded in their order.
"""

import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtCliRuntimeError, DbtCliResource, dbt_assets

from dagster_project.defs.resources import WAREHOUSE_POOL, ReconResource
from dagster_project.home import Home
from dagster_project.lib.dbt import ReconDbtTranslator, dbt_project, dbt_vars_arg, manifest_is_stale
from dagster_project.mart_metrics import MARTS, mart_metadata
from dagster_project.store import open_store
from dagster_project.store.outbox import cluster_threads

# The marts of a run's events → their figures, by mart name.
ReadMetadata = Callable[[set[str]], dict[str, dict[str, Any]]]


def prepare_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than its files (a fresh clone, an edit)."""
    project = dbt_project()
    if manifest_is_stale(project):
        dbt_resource().cli(["parse", "--quiet"], target_path=project.target_path).wait()


@functools.cache
def build_dbt_assets() -> dg.AssetsDefinition:
    """Built on demand, so importing this module never needs a manifest."""
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=ReconDbtTranslator(),
        pool=WAREHOUSE_POOL,
        name="recon_dbt",
    )
    def recon_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, recon: ReconResource):
        home = recon.home_dir()
        args = ["build", *dbt_vars_arg(recon.config(), recon.as_of_datetime(), home.warehouse)]

        def mart_of(event: Any) -> str | None:
            if not isinstance(event, dg.Output):
                return None
            name = context.asset_key_for_output(event.output_name).to_user_string()
            return name if name in MARTS else None

        events = dbt.cli(args, context=context).stream()
        yield from with_mart_metadata(events, mart_of, functools.partial(read_mart_metadata, home))

    return recon_dbt


def with_mart_metadata(
    events: Iterable[Any], mart_of: Callable[[Any], str | None], read_metadata: ReadMetadata
) -> Iterator[Any]:
    """`events` in their order, each mart's output (`mart_of` names it) with its figures added to dagster-dbt's
    metadata. Everything from the first mart output on waits for the stream's end: the warehouse can be read only
    then, and the order keeps each dbt test's check result after its model's output. A run that built no mart
    reads nothing."""
    held: list[Any] = []
    try:
        for event in events:
            if held or mart_of(event):
                held.append(event)
            else:
                yield event
    except DagsterDbtCliRuntimeError:
        # dbt ran to its end with errors (a failed test, a model that did not build): what it built is still
        # materialised, with its figures, before the step fails.
        yield from _with_figures(held, mart_of, read_metadata)
        raise
    yield from _with_figures(held, mart_of, read_metadata)


def _with_figures(held: list[Any], mart_of: Callable[[Any], str | None], read_metadata: ReadMetadata) -> Iterator[Any]:
    built = {mart for event in held if (mart := mart_of(event))}
    try:
        figures = read_metadata(built) if built else {}
    except Exception:
        # The marts are built whatever becomes of their figures: record them, then fail on the reading.
        yield from held
        raise
    for event in held:
        mart = mart_of(event)
        yield event.with_metadata({**event.metadata, **figures[mart]}) if mart in figures else event


def read_mart_metadata(home: Home, marts: set[str]) -> dict[str, dict[str, Any]]:
    """The figures of `marts`, from one read-only connection to the warehouse; the top-clusters table's Slack
    links from the operational store (none for a cluster without an exception, or one not posted yet)."""

    def threads(cluster_ids: list[str]):
        with open_store(home.store_url) as store:
            return cluster_threads(store, cluster_ids)

    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return mart_metadata(conn, marts, threads)


def dbt_resource() -> DbtCliResource:
    project = dbt_project()
    # The dbt installed beside this interpreter: `recon` may run without the virtualenv on PATH.
    executable = Path(sys.executable).parent / "dbt"
    return DbtCliResource(
        project_dir=project,
        profiles_dir=str(project.profiles_dir),
        target=project.target,
        dbt_executable=str(executable),
    )
