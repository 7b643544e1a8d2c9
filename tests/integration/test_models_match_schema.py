"""The typed ORM models describe the schema the migrations actually build."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect

from domain.models import metadata

pytestmark = pytest.mark.pg18


def test_every_model_column_exists_with_matching_nullability(app_engine: Engine) -> None:
    """Each mapped column is in the migrated table, with the same NULL/NOT NULL."""
    import domain.models  # noqa: F401  (registers every model on the metadata)

    inspector = inspect(app_engine)
    problems = []
    for table in metadata.sorted_tables:
        db_columns = {c["name"]: c for c in inspector.get_columns(table.name, schema=table.schema)}
        if not db_columns:
            problems.append(f"{table.fullname}: table missing in the database")
            continue
        for column in table.columns:
            found = db_columns.get(column.name)
            if found is None:
                problems.append(f"{table.fullname}.{column.name}: column missing")
            elif bool(found["nullable"]) != bool(column.nullable):
                problems.append(
                    f"{table.fullname}.{column.name}: nullable model={column.nullable} "
                    f"db={found['nullable']}"
                )
    assert problems == []
