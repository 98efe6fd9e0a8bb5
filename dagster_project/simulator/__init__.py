"""The simulator behind `recon simulate`: a landing zone of seven systems with injected faults and bad
input, and the ground truth of what RULES.md must find in it (see docs/simulator.md)."""

from dagster_project.simulator.run import SimulationResult, simulate

__all__ = ["SimulationResult", "simulate"]
