"""The dashboards ([4/7]): `signins report` turns the store's aggregates into a static, offline plotly site."""
