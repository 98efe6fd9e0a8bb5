"""Replay jobs for the Launchpad: one per kind, typed config, dry run unless `execute` is set."""

import getpass

import dagster as dg

from dagster_project.defs.resources import WAREHOUSE_POOL, ReconResource
from dagster_project.replay import KINDS, ReplayRequest, dry_run, execute
from dagster_project.replay.render import render_dry_run, render_outcome


class ReplayConfig(dg.Config):
    """Dry run by default. `execute` needs a `reason` and an `operator` listed in recon.yaml replay.operators."""

    execute: bool = False
    reason: str | None = None
    operator: str | None = None
    systems: list[str] = []
    files: list[str] = []
    orders: list[str] = []


def build_replay_job(kind: str) -> dg.JobDefinition:
    @dg.op(name=f"replay_{kind}", pool=WAREHOUSE_POOL, tags={"kind": "replay"})
    def replay(context: dg.OpExecutionContext, config: ReplayConfig, recon: ReconResource) -> dict:
        home = recon.home_dir()
        request = ReplayRequest(
            kind, systems=tuple(config.systems), files=tuple(config.files), orders=tuple(config.orders)
        )
        # Orders are re-read from the landing zone; quarantined CSV rows find their file's header row there.
        landing = recon.landing_dir() if kind == "orders" or recon.landing else None
        if not config.execute:
            plan = dry_run(home, request, landing=landing)
            text = render_dry_run(plan)
            context.log.info(text)
            context.add_output_metadata({"diff": dg.MetadataValue.md(f"```\n{text}\n```"), **_counts(plan.summary())})
            return plan.summary()
        operator = config.operator or getpass.getuser()
        outcome = execute(home, request, operator=operator, reason=config.reason, landing=landing)
        text = render_outcome(outcome)
        context.log.info(text)
        context.add_output_metadata({"outcome": dg.MetadataValue.md(f"```\n{text}\n```"), "status": outcome.status})
        if outcome.status != "verified":
            raise dg.Failure(f"replay {outcome.replay_id} failed its verification", metadata={"outcome": text})
        return {"replay_id": outcome.replay_id, "status": outcome.status, "no_op": outcome.no_op}

    @dg.job(
        name=f"replay_{kind}_job",
        description=f"Controlled {kind} replay: dry run into a scratch copy by default; execute with a reason.",
        tags={"recon/replay": kind},
    )
    def replay_job():
        replay()

    return replay_job


def _counts(summary: dict) -> dict:
    return {key: summary[key] for key in ("divergences_resolving", "divergences_appearing", "divergences_reclassified")}


replay_jobs = [build_replay_job(kind) for kind in KINDS]
