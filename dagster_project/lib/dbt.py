"""The dbt project as Dagster sees it: paths, manifest preparation, translator, and the vars of a run."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from dagster_project.config import Config
from dagster_project.contract import SYSTEMS

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
LAYERS = ("staging", "intermediate", "marts")
DEFAULT_OWNER = "data-platform"  # the team that runs recon; a model's `meta.owner` overrides it


def dbt_project(target: str = "duckdb") -> DbtProject:
    return DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR, target=target)


def manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")
    return any(p.stat().st_mtime > built for name in sources for p in _files(DBT_DIR / name))


def _files(path: Path):
    return [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]


def dbt_vars(config: Config, as_of: datetime | None, warehouse: Path) -> dict[str, Any]:
    """recon.yaml, the run's as_of and the warehouse file, as the dbt vars the project reads
    (dbt_project.yml lists them; `warehouse_path` is read by profiles.yml)."""
    rules = config.rules
    return {
        "warehouse_path": str(warehouse),
        "as_of": as_of.isoformat() if as_of else None,
        "grace_minutes": rules.grace.total_seconds() / 60,
        "window_minutes": rules.window.total_seconds() / 60,
        "revenue_lag_hours": rules.revenue_lag.total_seconds() / 3600,
        "missing_after_hours": rules.missing_after.total_seconds() / 3600,
        "vendor_sla_hours": rules.vendor_sla.total_seconds() / 3600,
        "severity_high_exposure": config.severity.high,
        "severity_medium_exposure": config.severity.medium,
        "sla_hours_high": config.sla_hours.high,
        "sla_hours_medium": config.sla_hours.medium,
        "sla_hours_low": config.sla_hours.low,
        "status_map_extra": config.status_map,
    }


def dbt_vars_arg(config: Config, as_of: datetime | None, warehouse: Path) -> list[str]:
    return ["--vars", json.dumps(dbt_vars(config, as_of, warehouse), sort_keys=True)]


class ReconDbtTranslator(DagsterDbtTranslator):
    """Groups by dbt layer (seeds, staging, intermediate, marts), owners from `meta.owner`, kinds dbt + duckdb,
    and a `system` tag on each source system's staging model (as on its ingest asset): an asset has one group, so
    the per-system view is the selection `tag:system=carrier`."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id) or {}
        layer = next((part for part in node.get("fqn", []) if part in LAYERS), None)
        if node.get("resource_type") == "seed":
            layer = "seeds"
        owner = (node.get("meta") or {}).get("owner") or (node.get("config", {}).get("meta") or {}).get("owner")
        system = next((part for part in node.get("fqn", []) if part in SYSTEMS), None) if layer == "staging" else None
        return spec.replace_attributes(
            group_name=layer or spec.group_name,
            owners=[f"team:{owner or DEFAULT_OWNER}"],
            kinds={"dbt", "duckdb"},
        ).merge_attributes(tags={"system": system} if system else {})
