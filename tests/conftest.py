"""Shared fixtures: a fresh home and landing zone per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_project.home import Home


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home").ensure()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path
