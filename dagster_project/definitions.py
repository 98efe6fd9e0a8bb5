"""The recon code location: `dagster dev -m dagster_project.definitions` (or `recon ui`)."""

import dagster as dg

from dagster_project.defs.ingest import ingest_assets
from dagster_project.defs.resources import ReconResource
from dagster_project.defs.transform import build_dbt_assets, dbt_resource, prepare_manifest

prepare_manifest()

defs = dg.Definitions(
    assets=[*ingest_assets, build_dbt_assets()],
    resources={
        "recon": ReconResource(home=dg.EnvVar("RECON_HOME"), landing=dg.EnvVar("RECON_LANDING")),
        "dbt": dbt_resource(),
    },
)
