"""The recon home: where the embedded defaults live (warehouse, operational store, config, quarantine)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dagster_project.config import Config, load_config


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> Home:
        """`--home`, else `$RECON_HOME`, else `./.recon`."""
        chosen = home or os.environ.get("RECON_HOME") or ".recon"
        return cls(Path(chosen).expanduser().resolve())

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def config_file(self) -> Path:
        return self.root / "recon.yaml"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    def ensure(self) -> Home:
        for path in (self.root, self.quarantine_dir, self.dagster_home):
            path.mkdir(parents=True, exist_ok=True)
        return self

    def config(self) -> Config:
        return load_config(self.config_file)
