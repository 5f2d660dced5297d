"""Storage: SQLAlchemy Core tables, Alembic migrations, engines for SQLite and PostgreSQL."""
