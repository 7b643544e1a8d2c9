"""Alembic environment and versions: schema, roles, grants, audit triggers."""
