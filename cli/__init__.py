"""The `signins` command line: the top layer, over the flows, the dashboards and the library."""
