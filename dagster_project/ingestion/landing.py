"""Find the batch files of a landing zone (SOURCE_CONTRACT.md "Landing zone layout")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.contract import SYSTEMS
from dagster_project.errors import ReconError

FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class LandingFile:
    system: str
    path: Path
    rel_path: str  # posix path relative to the landing zone: how the file is named in every table
    format: str


@dataclass(frozen=True)
class SkippedFile:
    rel_path: str
    reason: str


@dataclass
class LandingScan:
    files: dict[str, list[LandingFile]] = field(default_factory=lambda: {s: [] for s in SYSTEMS})
    unknown_folders: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def _skip_reason(name: str) -> str | None:
    if name.endswith(".tmp"):
        return "still being written (.tmp): picked up once renamed"
    if name.startswith("."):
        return "hidden file (name starts with '.')"
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in FORMATS:
        return f"unsupported file type '{suffix or name}': batches are .jsonl, .csv or .parquet"
    return None


def scan_landing(landing: Path, systems: tuple[str, ...] = SYSTEMS) -> LandingScan:
    """Every batch file under `landing`, by system, sorted by path; what was not read and why."""
    if not landing.is_dir():
        raise ReconError(f"landing zone {landing} does not exist or is not a folder; pass --landing DIR")
    scan = LandingScan()
    for entry in sorted(landing.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            scan.skipped.append(SkippedFile(entry.name, "not inside a system folder"))
            continue
        if entry.name not in SYSTEMS:
            scan.unknown_folders.append(entry.name)
            continue
        if entry.name not in systems:
            continue
        for dirpath, dirnames, filenames in os.walk(entry):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                path = Path(dirpath) / name
                rel = path.relative_to(landing).as_posix()
                reason = _skip_reason(name)
                if reason:
                    scan.skipped.append(SkippedFile(rel, reason))
                else:
                    fmt = FORMATS[os.path.splitext(name)[1].lower()]
                    scan.files[entry.name].append(LandingFile(entry.name, path, rel, fmt))
    return scan


def unknown_folder_message(folder: str) -> str:
    return (
        f"landing/{folder}: not a known system folder, ignored; "
        f"systems are {', '.join(SYSTEMS)} (rename the folder to one of them)"
    )
