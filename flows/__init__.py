"""Prefect flows: thin orchestration over signins.* (I/O) and transforms/ (pure polars)."""

import os

# Prefect and Great Expectations send usage analytics by default; this project never does.
for _name, _value in {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false",
                      "DO_NOT_TRACK": "1"}.items():
    os.environ.setdefault(_name, _value)
