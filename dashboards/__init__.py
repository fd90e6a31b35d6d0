"""Figure builders for the dashboards (issue [4/7]): data in, plotly figures out."""
