"""Landing zone → DuckDB raw tables: scanning, reading, contract checks, quarantine, file registry."""
