"""The store fixtures (SQLite file, or a PostgreSQL schema when RECON_TEST_PG_URL is set) for end-to-end tests."""

from tests.store.conftest import db_url, pg_database_url  # noqa: F401 (fixtures)
