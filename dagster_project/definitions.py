"""The recon code location: `recon ui` (or `dagster dev -m dagster_project.definitions` with RECON_HOME set).

From the environment, as `recon ui` sets it: RECON_HOME (the home), RECON_LANDING (the landing zone the landing
sensor watches and ingestion reads; optional), RECON_AS_OF (a pinned evaluation time; optional, the demo's).
"""

import os

import dagster as dg

from dagster_project.defs.exceptions import exceptions
from dagster_project.defs.ingest import ingest_assets
from dagster_project.defs.quality import mart_checks
from dagster_project.defs.reconcile import reconcile_job, reconcile_schedules
from dagster_project.defs.replay_jobs import replay_jobs
from dagster_project.defs.resources import ReconResource
from dagster_project.defs.transform import build_dbt_assets, dbt_resource, prepare_manifest
from dagster_project.home import Home
from sensors import landing_sensor, recon_sensors


def _optional(name: str) -> dg.EnvVar | None:
    # Without RECON_LANDING, ingestion says how to set it when it runs, and the landing sensor skips saying so.
    return dg.EnvVar(name) if name in os.environ else None


prepare_manifest()

defs = dg.Definitions(
    assets=[*ingest_assets, build_dbt_assets(), exceptions],
    asset_checks=mart_checks,
    sensors=[landing_sensor, *recon_sensors],
    schedules=reconcile_schedules(Home.resolve().config()),
    jobs=[reconcile_job, *replay_jobs],
    # Every step reads or writes the one DuckDB file, so the warehouse pool runs them one at a time anyway:
    # a process per step would only add start-up time.
    executor=dg.in_process_executor,
    resources={
        "recon": ReconResource(
            home=dg.EnvVar("RECON_HOME"), landing=_optional("RECON_LANDING"), as_of=_optional("RECON_AS_OF")
        ),
        "dbt": dbt_resource(),
    },
)
