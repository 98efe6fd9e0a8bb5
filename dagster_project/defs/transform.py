"""The dbt project as Dagster assets: staging → intermediate → marts, dbt tests as asset checks."""

import functools
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.resources import WAREHOUSE_POOL, ReconResource
from dagster_project.lib.dbt import ReconDbtTranslator, dbt_project, dbt_vars_arg, manifest_is_stale


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
        args = ["build", *dbt_vars_arg(recon.config(), recon.as_of_datetime(), recon.home_dir().warehouse)]
        yield from dbt.cli(args, context=context).stream()

    return recon_dbt


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
