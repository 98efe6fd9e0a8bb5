"""The recon code location: `dagster dev -m dagster_project.definitions` (or `recon ui`)."""

import os

import dagster as dg

from dagster_project.defs.exceptions import exceptions
from dagster_project.defs.ingest import ingest_assets
from dagster_project.defs.replay_jobs import replay_jobs
from dagster_project.defs.resources import ReconResource
from dagster_project.defs.transform import build_dbt_assets, dbt_resource, prepare_manifest
from sensors import recon_sensors

prepare_manifest()

defs = dg.Definitions(
    assets=[*ingest_assets, build_dbt_assets(), exceptions],
    sensors=recon_sensors,
    jobs=replay_jobs,
    resources={
        # The sensors need only the home; without RECON_LANDING, ingestion says how to set it when it runs.
        "recon": ReconResource(
            home=dg.EnvVar("RECON_HOME"), landing=dg.EnvVar("RECON_LANDING") if "RECON_LANDING" in os.environ else None
        ),
        "dbt": dbt_resource(),
    },
)
