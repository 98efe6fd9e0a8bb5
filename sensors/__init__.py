"""recon's Dagster sensors (docs/sensors.md): SLA escalation, and alerts to the data team for failed runs and
failed asset checks (`recon_sensors`), and the landing sensor that launches runs for new files (`landing_sensor`).
Thin: each calls a plain function, which the tests call directly.

Every sensor takes the `recon` resource (`ReconResource`) for the home: the operational store (`home.store_url`)
and `recon.yaml`. None opens the DuckDB warehouse. Only the landing sensor launches runs; the others return a
`SkipReason` saying what their tick did.
"""

from sensors.asset_checks import CheckFailure, alert_failed_checks, asset_check_alert_sensor
from sensors.escalation import escalation_sensor, run_escalation
from sensors.landing import landing_sensor
from sensors.run_failure import RunFailure, alert_run_failure, run_failure_alert_sensor, run_failure_of

recon_sensors = [escalation_sensor, run_failure_alert_sensor, asset_check_alert_sensor]

__all__ = [
    "CheckFailure",
    "RunFailure",
    "alert_failed_checks",
    "alert_run_failure",
    "asset_check_alert_sensor",
    "escalation_sensor",
    "landing_sensor",
    "recon_sensors",
    "run_escalation",
    "run_failure_alert_sensor",
    "run_failure_of",
]
