"""The replay's scratch warehouse: a copy of the live DuckDB file that a dry run changes instead, and dbt builds
of the marts outside Dagster (on the copy for a dry run, on the live file for an execute)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from dagster_project.config import Config
from dagster_project.defs.transform import dbt_resource, prepare_manifest
from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.lib.dbt import dbt_project, dbt_vars_arg


@contextlib.contextmanager
def scratch_copy(home: Home) -> Iterator[Path]:
    """A copy of the warehouse (and its write-ahead log, if any) under `<home>/replay/`, removed afterwards.
    The live file is only read: a dry run leaves it byte-identical."""
    if not home.warehouse.exists():
        raise ReconError(f"no warehouse at {home.warehouse}: run `recon run --landing DIR` first")
    folder = home.root / "replay"
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / f"scratch-{uuid.uuid4().hex[:12]}.duckdb"
    wal = Path(f"{home.warehouse}.wal")
    try:
        shutil.copyfile(home.warehouse, scratch)
        if wal.exists():
            shutil.copyfile(wal, Path(f"{scratch}.wal"))
        yield scratch
    finally:
        for path in (scratch, Path(f"{scratch}.wal")):
            path.unlink(missing_ok=True)


def build_marts(home: Home, warehouse: Path, config: Config, as_of: datetime | None, label: str) -> None:
    """`dbt build` of the whole project on `warehouse` with `config`'s vars; its log in `<home>/logs/`."""
    prepare_manifest()
    project = dbt_project()
    resource = dbt_resource()
    log = home.root / "logs" / f"replay_{label}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        resource.dbt_executable,
        "build",
        "--project-dir",
        str(project.project_dir),
        "--profiles-dir",
        str(project.profiles_dir),
        "--target",
        project.target,
        "--target-path",
        str(project.project_dir / "target" / f"replay-{uuid.uuid4().hex[:8]}"),
        *dbt_vars_arg(config, as_of, warehouse),
    ]
    with log.open("w") as sink:
        done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, cwd=project.project_dir, check=False)
    shutil.rmtree(command[command.index("--target-path") + 1], ignore_errors=True)
    if done.returncode != 0:
        raise ReconError(f"dbt build for the replay failed (exit {done.returncode}); its log: {log}")
