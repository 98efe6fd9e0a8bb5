"""New landing files → a reconciliation run for the systems that have them.

The sensor lists the landing zone (names, sizes, modification times; it reads no file and never opens the
warehouse) and keeps one digest per system folder in its cursor. A system whose digest changed gets its ingest
asset materialised, with everything downstream of ingestion (dbt models, checks, the exception sync); other
systems' ingest steps are left out. A spurious trigger (a file touched, not changed) costs one run that
ingests nothing, since ingestion is idempotent by content hash. The run key is the new digests, so one listing
never launches twice even if a cursor update is lost.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from dagster_project.contract import SYSTEMS
from dagster_project.defs.reconcile import reconcile_job
from dagster_project.defs.resources import ReconResource
from dagster_project.errors import ReconError
from dagster_project.ingestion.landing import scan_landing

LANDING_INTERVAL_SECONDS = 30


def landing_digests(landing: Path) -> dict[str, str]:
    """Per system with batch files: a digest of its files' paths, sizes and modification times."""
    scan = scan_landing(landing)
    digests = {}
    for system, files in scan.files.items():
        if not files:
            continue
        listing = hashlib.sha256()
        for file in files:
            stat = file.path.stat()
            listing.update(f"{file.rel_path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        digests[system] = listing.hexdigest()
    return digests


def changed_systems(previous: dict[str, str], current: dict[str, str]) -> list[str]:
    """Systems whose files appeared or changed, in contract order. A system whose files all vanished needs no
    run: the warehouse keeps what it ingested."""
    return [system for system in SYSTEMS if system in current and previous.get(system) != current[system]]


def landing_run_request(systems: list[str], digests: dict[str, str], all_keys: set[dg.AssetKey]) -> dg.RunRequest:
    ingest_keys = {dg.AssetKey([system, "events"]) for system in SYSTEMS}
    chosen = {dg.AssetKey([system, "events"]) for system in systems}
    selection = sorted(chosen | (all_keys - ingest_keys), key=lambda key: key.to_user_string())
    run_key = hashlib.sha256(json.dumps({s: digests[s] for s in systems}, sort_keys=True).encode()).hexdigest()
    return dg.RunRequest(
        run_key=f"landing:{run_key[:32]}",
        asset_selection=selection,
        tags={"recon/trigger": "landing", "recon/systems": ",".join(systems)},
    )


@dg.sensor(
    name="landing_sensor",
    job=reconcile_job,
    minimum_interval_seconds=LANDING_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every 30 s: lists the landing zone (RECON_LANDING, `recon ui --landing DIR`) and, for the systems with new "
        "or changed files, launches a reconciliation run that ingests only those systems and rebuilds everything "
        "downstream. Reads no file content and never opens the warehouse."
    ),
)
def landing_sensor(context: dg.SensorEvaluationContext, recon: ReconResource):
    try:
        current = landing_digests(recon.landing_dir())
    except ReconError as exc:
        return dg.SkipReason(str(exc))
    previous = json.loads(context.cursor) if context.cursor else {}
    systems = changed_systems(previous, current)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not systems:
        return dg.SkipReason("No new or changed files in the landing zone.")
    all_keys = set(context.repository_def.asset_graph.get_all_asset_keys())
    return landing_run_request(systems, current, all_keys)
