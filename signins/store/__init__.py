"""The DuckDB store: the database file, its schema migrations, and the lock every writer holds."""
