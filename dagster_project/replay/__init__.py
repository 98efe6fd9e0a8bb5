"""Controlled replays (issue 4/6): quarantine, orders, remap. Dry-run by default into a scratch copy of the
warehouse, showing the diff; execute only with a reason, by an allowed operator, under a lock, once; verified
afterwards by a Great Expectations suite. See docs/replays.md."""

from dagster_project.replay.dry_run import DryRun, dry_run
from dagster_project.replay.execute import ReplayOutcome, execute
from dagster_project.replay.request import KINDS, ReplayRequest

__all__ = ["KINDS", "DryRun", "ReplayOutcome", "ReplayRequest", "dry_run", "execute"]
