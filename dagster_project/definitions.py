"""The recon code location: `dagster dev -m dagster_project.definitions` (or `recon ui`)."""

import dagster as dg

from dagster_project.defs.ingest import ingest_assets
from dagster_project.defs.resources import ReconResource

defs = dg.Definitions(
    assets=ingest_assets,
    resources={
        "recon": ReconResource(home=dg.EnvVar("RECON_HOME"), landing=dg.EnvVar("RECON_LANDING")),
    },
)
