"""Great Expectations suites as code: the source contracts (one suite per system), built from
`dagster_project.contract`, validated on pandas batches (GX's SQL datasource does not support DuckDB)."""
