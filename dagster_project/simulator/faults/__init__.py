"""Fault scenarios, one module per family of RULES.md rules; each exports its `SCENARIOS`."""
