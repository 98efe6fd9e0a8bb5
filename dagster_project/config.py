"""`recon.yaml` in the home: every key optional, defaults as in RULES.md, errors naming the key at fault."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from dagster_project.contract import SYSTEMS
from dagster_project.errors import ReconError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)\s*$")
_UNIT_MINUTES = {"m": 1, "min": 1, "h": 60, "d": 1440}


def parse_duration(value: Any, key: str) -> timedelta:
    """'2h', '30m', '1d' (or a number of minutes) → timedelta."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(minutes=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ReconError(f"recon.yaml: {key}: {value!r} is not a duration; write e.g. '2h', '30m' or '1d'")
    return timedelta(minutes=float(match.group(1)) * _UNIT_MINUTES[match.group(2)])


@dataclass(frozen=True)
class IngestConfig:
    # A file with a larger share of invalid rows is quarantined whole (SOURCE_CONTRACT.md: default 20 %).
    max_invalid_share: float = 0.2


@dataclass(frozen=True)
class RulesConfig:
    grace: timedelta = timedelta(hours=2)
    window: timedelta = timedelta(minutes=30)
    revenue_lag: timedelta = timedelta(hours=24)
    missing_after: timedelta = timedelta(hours=6)
    vendor_sla: timedelta = timedelta(hours=48)


@dataclass(frozen=True)
class SeverityConfig:
    # Exposure (order amount at risk, refund or amount difference) at or above which severity is high / medium.
    high: float = 5000.0
    medium: float = 500.0


@dataclass(frozen=True)
class SlaHoursConfig:
    # Hours the owner team has to acknowledge, counted from when the exception opened.
    high: float = 4.0
    medium: float = 24.0
    low: float = 72.0


# The owner teams of RULES.md, plus the data team that gets pipeline alerts (failed runs and checks).
DIVERGENCE_TEAMS = ("logistics_ops", "finance_ops", "cx_ops", "integrations")
DATA_TEAM = "data_platform"
TEAMS = (*DIVERGENCE_TEAMS, DATA_TEAM)
DEFAULT_ESCALATION_CHANNEL = "#ops-escalations"


@dataclass(frozen=True)
class OwnerConfig:
    """A team's Slack routing: its channel, and the escalation steps for exceptions it leaves unacknowledged
    past their SLA (step 1 `escalation_channel`, then each of `escalation_steps`)."""

    channel: str
    escalation_channel: str | None = DEFAULT_ESCALATION_CHANNEL
    escalation_steps: tuple[str, ...] = ()

    @property
    def steps(self) -> tuple[str, ...]:
        return (self.escalation_channel, *self.escalation_steps) if self.escalation_channel else ()


def _default_owners() -> dict[str, OwnerConfig]:
    return {team: OwnerConfig(channel="#" + team.replace("_", "-")) for team in TEAMS}


@dataclass(frozen=True)
class SlackConfig:
    # The Slack Web API base URL (a proxy, or a test server); env RECON_SLACK_BASE_URL overrides it.
    base_url: str | None = None


@dataclass(frozen=True)
class ReplayConfig:
    # Who may execute replays (`recon replay ... --execute --operator NAME`, the Slack button): login names or
    # Slack user ids. Empty: nobody; dry-runs are open to everyone.
    operators: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduleConfig:
    # How often the full reconciliation runs in `recon ui` (time-based rules need a run even when no file
    # arrives); null turns the schedule off. Minutes dividing an hour, or hours dividing a day.
    interval: timedelta | None = timedelta(hours=1)

    @property
    def cron(self) -> str | None:
        return None if self.interval is None else interval_cron(self.interval)


def interval_cron(interval: timedelta) -> str:
    """The cron expression (UTC) of an interval that divides an hour or a day evenly."""
    minutes = interval.total_seconds() / 60
    if minutes == 1440:
        return "0 0 * * *"
    if minutes == 60:
        return "0 * * * *"
    if minutes.is_integer() and 1 <= minutes < 60 and 60 % minutes == 0:
        return f"*/{int(minutes)} * * * *"
    hours = minutes / 60
    if hours.is_integer() and 1 < hours < 24 and 24 % hours == 0:
        return f"0 */{int(hours)} * * *"
    raise ReconError(
        f"recon.yaml: schedule.interval: {interval} does not divide an hour or a day evenly; use minutes "
        "dividing 60 (e.g. '15m'), hours dividing 24 (e.g. '6h'), '1d', or null to turn the schedule off"
    )


@dataclass(frozen=True)
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    severity: SeverityConfig = field(default_factory=SeverityConfig)
    sla_hours: SlaHoursConfig = field(default_factory=SlaHoursConfig)
    # Added on top of the shipped status map: {system: {NATIVE_STATUS: canonical_state}}.
    status_map: dict[str, dict[str, str]] = field(default_factory=dict)
    owners: dict[str, OwnerConfig] = field(default_factory=_default_owners)
    slack: SlackConfig = field(default_factory=SlackConfig)
    replay: ReplayConfig = field(default_factory=ReplayConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)

    def channels(self) -> dict[str, str]:
        """Owner team → Slack channel."""
        return {team: owner.channel for team, owner in self.owners.items()}

    def escalation_steps(self) -> dict[str, tuple[str, ...]]:
        """Owner team → its escalation channels, step 1 first."""
        return {team: owner.steps for team, owner in self.owners.items()}


def _build(cls: type, raw: Any, key: str):
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise ReconError(f"recon.yaml: {key or 'top level'} must be a mapping, got {type(raw).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        where = f"{key}." if key else ""
        raise ReconError(f"recon.yaml: unknown key {where}{unknown[0]}; known keys here: {', '.join(sorted(known))}")
    values = {}
    for name, value in raw.items():
        path = f"{key}.{name}" if key else name
        default = getattr(cls(), name)
        values[name] = _coerce(default, value, path)
    return cls(**values)


def _coerce(default: Any, value: Any, key: str) -> Any:
    if is_dataclass(default):
        return _build(type(default), value, key)
    if key == "schedule.interval" and value is None:
        return None
    if isinstance(default, timedelta):
        return parse_duration(value, key)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ReconError(f"recon.yaml: {key}: {value!r} is not a number")
        return float(value)
    if key == "status_map":
        return _status_map(value)
    if key == "owners":
        return _owners(value)
    if key == "slack.base_url":
        return _text(value, key)
    if key == "replay.operators":
        if not isinstance(value, list):
            raise ReconError(f"recon.yaml: {key} must be a list of login names or Slack user ids")
        return tuple(
            _channel(item, f"{key}[{i}]", "a login name or Slack user id", "asha or U0123ABCD").lstrip("@")
            for i, item in enumerate(value)
        )
    raise ReconError(f"recon.yaml: {key}: unsupported value {value!r}")


def _status_map(value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        raise ReconError("recon.yaml: status_map must map a system to {NATIVE_STATUS: canonical_state}")
    result: dict[str, dict[str, str]] = {}
    for system, mapping in value.items():
        if system not in SYSTEMS:
            raise ReconError(f"recon.yaml: status_map.{system}: unknown system; use one of {', '.join(SYSTEMS)}")
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise ReconError(f"recon.yaml: status_map.{system} must map native status text to a state name")
        result[system] = dict(mapping)
    return result


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ReconError(f"recon.yaml: {key}: {value!r} is not a non-empty text")
    return value.strip()


def _channel(value: Any, key: str, what: str = "a Slack channel", example: str = "'#logistics-ops'") -> str:
    """A channel name (`#ops`, `ops`) or id (`C0123ABC`); no spaces, since Slack names have none."""
    text = _text(value, key)
    if any(char.isspace() for char in text):
        raise ReconError(f"recon.yaml: {key}: {value!r} is not {what}; write e.g. {example}")
    return text


def _owners(value: Any) -> dict[str, OwnerConfig]:
    """Teams given here replace their defaults key by key; teams not given keep theirs."""
    if not isinstance(value, dict):
        raise ReconError("recon.yaml: owners must map a team to {channel, escalation_channel, escalation_steps}")
    owners = _default_owners()
    for team, raw in value.items():
        key = f"owners.{team}"
        if team not in TEAMS:
            raise ReconError(f"recon.yaml: {key}: unknown team; use one of {', '.join(TEAMS)}")
        if not isinstance(raw, dict):
            raise ReconError(f"recon.yaml: {key} must be a mapping with channel, escalation_channel, escalation_steps")
        known = ("channel", "escalation_channel", "escalation_steps")
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ReconError(f"recon.yaml: unknown key {key}.{unknown[0]}; known keys here: {', '.join(known)}")
        owner = owners[team]
        if "channel" in raw:
            owner = replace(owner, channel=_channel(raw["channel"], f"{key}.channel"))
        if "escalation_channel" in raw:
            # null switches escalation off for the team.
            escalation = raw["escalation_channel"]
            escalation = None if escalation is None else _channel(escalation, f"{key}.escalation_channel")
            owner = replace(owner, escalation_channel=escalation)
        if "escalation_steps" in raw:
            steps = raw["escalation_steps"] or []
            if not isinstance(steps, list):
                raise ReconError(f"recon.yaml: {key}.escalation_steps must be a list of channels")
            steps = tuple(_channel(step, f"{key}.escalation_steps[{i}]") for i, step in enumerate(steps))
            owner = replace(owner, escalation_steps=steps)
        if owner.escalation_steps and not owner.escalation_channel:
            raise ReconError(f"recon.yaml: {key}.escalation_steps needs an escalation_channel (step 1) first")
        owners[team] = owner
    return owners


def load_config(path: Path) -> Config:
    """Read `recon.yaml`; a missing file means all defaults."""
    if not path.exists():
        return Config()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ReconError(f"{path}: not valid YAML: {exc}") from exc
    config = _build(Config, raw, "")
    if not 0 <= config.ingest.max_invalid_share <= 1:
        raise ReconError(f"{path}: ingest.max_invalid_share must be between 0 and 1")
    if config.schedule.interval is not None:
        interval_cron(config.schedule.interval)  # an interval cron cannot express stops here, naming the key
    return config
