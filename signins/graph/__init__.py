"""Pull sign-ins from Microsoft Graph (`GET /beta/auditLogs/signIns`) with msgraph-sdk.

`settings` reads the SIGNINS_* settings and picks the credential, `client` builds the msgraph-sdk
client (retry middleware, a per-tenant request limiter, one-line errors), `pull` runs the
incremental, resumable paging loop that lands raw pages through `signins.ingest.load.ingest_file`.
"""
