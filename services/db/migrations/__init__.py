"""Alembic environment and revisions (run through services.db.migrate, not the alembic CLI)."""
