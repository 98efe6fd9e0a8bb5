"""Benchmarks: `make bench`. Results are written under bench/results/ (Markdown and JSON)."""
