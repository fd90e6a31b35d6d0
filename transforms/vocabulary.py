"""The MFA result phrases Microsoft writes in sign-in logs, and the cause each one is evidence of
(transforms/vocabulary.csv; docs/vocabulary.md lists them with their sources).

A phrase matches a log's text when both are the same once normalised (features.normalised_phrase: case,
curly apostrophes, spacing, "MFA denied;" prefixes, contractions, a final full stop), never by a
substring: "invalid authentication" must not catch "invalid authentication code".
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import polars as pl

VOCABULARY_CSV = Path(__file__).with_name("vocabulary.csv")
NO_CAUSE = "none"  # a phrase that names no cause by itself (a call to voicemail, a service error)
# A phrase that says the step succeeded: on a failed step (logs show a claim there wrongly) it explains
# nothing, and the sign-in's own details are read instead (features.with_result_phrase).
STEP_SUCCEEDED = "success"


@cache
def vocabulary() -> tuple[dict[str, str], ...]:
    """The rows of vocabulary.csv: phrase, cause, fatigue (yes: the user denied or did not answer a prompt,
    what MFA fatigue counts), method (what the phrase is logged with), source."""
    with VOCABULARY_CSV.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def normalised(phrases: list[str]) -> tuple[str, ...]:
    """The phrases as the `mfa_result` feature spells a log's text."""
    from transforms.features import normalised_phrase  # features reads this module's phrases

    frame = pl.DataFrame({"phrase": phrases}, schema={"phrase": pl.String})
    return tuple(frame.select(normalised_phrase(pl.col("phrase")))["phrase"].to_list())


@cache
def phrases_of(cause: str) -> tuple[str, ...]:
    """The normalised phrases that are evidence of `cause`."""
    return normalised([row["phrase"] for row in vocabulary() if row["cause"] == cause])


@cache
def fatigue_phrases() -> tuple[str, ...]:
    """The normalised phrases that say the user denied or did not answer a prompt."""
    return normalised([row["phrase"] for row in vocabulary() if row["fatigue"] == "yes"])


def causes() -> set[str]:
    """Every cause the vocabulary names (NO_CAUSE and STEP_SUCCEEDED included)."""
    return {row["cause"] for row in vocabulary()}
