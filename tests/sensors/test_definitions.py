"""The sensors as the code location will load them: names, intervals, default status, and the `recon` resource."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.resources import ReconResource
from sensors import recon_sensors


def test_the_sensors_load_with_the_recon_resource():
    defs = dg.Definitions(sensors=recon_sensors, resources={"recon": ReconResource(home="/nonexistent/home")})

    loaded = [defs.resolve_sensor_def(sensor.name) for sensor in recon_sensors]

    assert [
        (s.name, s.minimum_interval_seconds, s.default_status, set(s.required_resource_keys), s.sensor_type.value)
        for s in loaded
    ] == [
        ("escalation_sensor", 300, dg.DefaultSensorStatus.RUNNING, {"recon"}, "STANDARD"),
        ("run_failure_alert_sensor", 60, dg.DefaultSensorStatus.RUNNING, {"recon"}, "RUN_STATUS"),
        ("asset_check_alert_sensor", 60, dg.DefaultSensorStatus.RUNNING, {"recon"}, "STANDARD"),
    ]
    # None launches a run: they have no target.
    assert [sensor.targets for sensor in loaded] == [[], [], []]
