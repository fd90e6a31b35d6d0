"""Prefect flows: thin orchestration over the signins library and the dashboards."""
