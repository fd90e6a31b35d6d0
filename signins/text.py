"""Text that came from logs or file names, made safe to show.

User, app, device and policy names, user agents and file names are chosen by whoever signs in or drops a
file. Printed as they are, an escape sequence can retitle a terminal or rewrite its last lines, a
newline can forge a line of output, and a name that is not UTF-8 cannot even be stored. So every such
value passes through `printable` (and a path through `path_text` first) before it reaches a terminal or
a log: control characters are shown as escapes (`\\x1b`, `\\n`), never obeyed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# C0 and C1 controls, DEL, lone surrogates, and the line and bidirectional-text controls that reorder
# or break what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def printable(text: object) -> str:
    """The text with every control character shown as an escape: one line, safe for a terminal or log."""
    return _CONTROL.sub(_escape, str(text))


def path_text(path: Path | str) -> str:
    """A file name as text: bytes that are not UTF-8 (a name made on another system) shown as `\\xNN`."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def shown_path(path: Path | str) -> str:
    """A file name as it may be printed or logged: `path_text`, then `printable`."""
    return printable(path_text(path))


# Markdown that a value could use to change a document: emphasis, links and images, HTML, table cells,
# headings, code. Backslash-escaped, CommonMark shows each as the character itself.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>|#!~])")


def markdown_text(value: object) -> str:
    """A value as text inside a Markdown document: `printable`, and its Markdown punctuation escaped."""
    return _MARKDOWN.sub(r"\\\1", printable(value))
