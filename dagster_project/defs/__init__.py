"""Dagster definitions, one module per concern; the logic they call lives in plain, tested modules."""
