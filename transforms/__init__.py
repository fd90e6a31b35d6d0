"""Pure polars transforms of the cause engine: features, rules, causes (no I/O, no Prefect)."""
