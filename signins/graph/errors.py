"""Errors of the Graph pull; each is one line without secrets, with a documented exit code."""

from __future__ import annotations

from signins.errors import SigninsError


class GraphSettingsError(SigninsError):
    """The SIGNINS_* Graph settings are incomplete or invalid."""

    exit_code = 2


class GraphAccessError(SigninsError):
    """Graph refused us: bad or expired credentials, wrong tenant, missing permission or licence."""

    exit_code = 7


class GraphUnavailableError(SigninsError):
    """Throttled beyond the retry budget, a server error, a broken connection or a broken page.

    Nothing committed is lost: the next `signins pull` resumes where this one stopped.
    """

    exit_code = 8
