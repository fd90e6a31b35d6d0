"""The dashboards: `signins report` turns the store's aggregates into a static, offline plotly site."""
