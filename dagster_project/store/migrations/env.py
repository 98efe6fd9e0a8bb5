"""Alembic environment: migrations run on the connection `dagster_project.store.migrate` hands over."""

from alembic import context

from dagster_project.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the store's migrations through dagster_project.store.migrate (upgrade, open_store)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters tables by copying them; batch mode lets later migrations do that.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
