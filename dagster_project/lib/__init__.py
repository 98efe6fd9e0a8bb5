"""Reusable pieces of the code location: the dbt project, its translator and its vars."""
