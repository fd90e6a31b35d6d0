"""Output is data, never instructions: values from logs and file names reach a terminal or log with their
control characters shown as escapes, and names that are not UTF-8 are stored and shown escaped."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from signins.text import markdown_text, path_text, printable, shown_path
from tests.conftest import FIXTURES, Store

BASE = json.loads((FIXTURES / "cross_format" / "graph_beta_page.json").read_text())["value"][0]
# Retitle the terminal, move up a line and erase it, reverse the text that follows, forge a line.
HOSTILE = "evil\x1b]0;pwned\x07\x1b[1A\x1b[2K\u202e\nOK   forged"
CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]] + ["\u2028", "\u2029", "\u202e", "\u2066"]


def signins(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def lines_without_controls(text: str) -> list[str]:
    lines = text.split("\n")
    assert not [line for line in lines if any(c in line for c in CONTROLS)], text
    return lines


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_printable_shows_every_control_character_as_an_escape(char: str):
    shown = printable(f"a{char}b")
    assert shown.startswith("a\\") and shown.endswith("b") and not any(c in shown for c in CONTROLS)


def test_printable_keeps_ordinary_text():
    assert printable("Zoë — naïve ユーザー, 50% <b>") == "Zoë — naïve ユーザー, 50% <b>"


def test_a_name_that_is_not_utf8_is_shown_with_its_bytes_escaped():
    name = os.fsdecode(b"caf\xe9-export.json")
    assert path_text(name) == "caf\\xe9-export.json"
    assert shown_path(Path("in") / name) == "in/caf\\xe9-export.json"


def test_a_folder_with_hostile_file_names_loads_every_file_and_prints_one_line_each(tmp_path: Path):
    folder = tmp_path / "drop"
    folder.mkdir()
    names = [os.fsdecode(b"caf\xe9-export.json"), "x\nOK   forged.json", "t\x1b]0;pwned\x07.json"]
    for n, name in enumerate(names):
        (folder / name).write_text(json.dumps({"value": [{**BASE, "id": f"id-{n}"}]}))
    db = tmp_path / "s.duckdb"
    done = signins("ingest", str(folder), "--db", str(db))
    assert done.returncode == 0, done.stderr
    lines = lines_without_controls(done.stdout.rstrip("\n"))
    assert len(lines) == len(names) + 1 and all(line.startswith("OK   ") for line in lines[:-1])
    assert lines[-1].startswith("3 file(s): 3 new sign-ins")
    store = Store(db)
    stored = sorted(path.rsplit("/", 1)[1] for (path,) in store.rows("SELECT first_path FROM raw_files"))
    assert stored == sorted(["caf\\xe9-export.json", "x\nOK   forged.json", "t\x1b]0;pwned\x07.json"])


def test_explain_escapes_what_the_logs_say(store: Store, tmp_path: Path):
    record = {
        **BASE,
        "id": "hostile-1",
        "userPrincipalName": HOSTILE,
        "appDisplayName": HOSTILE,
        "status": {"errorCode": 500121, "failureReason": HOSTILE, "additionalDetails": HOSTILE},
    }
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps({"value": [record]}))
    store.ingest(path)
    store.con.close()
    done = signins("explain", "hostile-1", "--db", str(store.db_path))
    assert done.returncode == 0, done.stderr
    lines = lines_without_controls(done.stdout)
    assert "evil\\x1b]0;pwned\\x07\\x1b[1A\\x1b[2K\\u202e\\nOK   forged" in done.stdout
    assert not [line for line in lines if line.startswith("OK")]


def test_an_error_quoting_the_input_escapes_it(store: Store):
    store.con.close()
    done = signins("explain", HOSTILE, "--db", str(store.db_path))
    assert done.returncode == 6
    assert len(lines_without_controls(done.stderr.rstrip("\n"))) == 1


def test_markdown_text_shows_markup_as_text():
    assert markdown_text("[click](http://x) | **b** <img src=x>\n# h") == (
        "\\[click\\]\\(http://x\\) \\| \\*\\*b\\*\\* \\<img src=x\\>\\\\n\\# h"
    )


def test_the_run_summary_escapes_names_from_outside():
    from flows.steps import Landed, LandedSource, summary_markdown
    from signins.ingest.staging import MergeOutcome
    from signins.runs.gates import GateReport

    landed = Landed([LandedSource("x | [a](http://evil)\n# forged", "graph/page", 1, 1, 0)])
    tags = {
        "causes": {},
        "new_findings": [
            {
                "finding": "recurring",
                "tenant_id": "t<img src=x>",
                "user_principal_name": "![i](http://e)",
                "user_key": "u",
                "detail": "<script>",
            }
        ],
        "rising_policies": [("[t2](http://evil)", "**CA** | x", 3, 1)],
        "thresholds": ["  tenant <b>[t](http://evil)</b>: fatigue_min_attempts 7"],
        "tagged": 1,
        "users": 1,
    }
    text = summary_markdown(Path("s.duckdb"), landed, GateReport(), MergeOutcome(1, 0), tags, Path("r/index.html"))
    assert "[a](http" not in text and "![i](" not in text and "<script>" not in text and "\n# forged" not in text
    assert "[t](http" not in text and "<b>" not in text and "<img src=x>" not in text and "[t2](http" not in text
    assert "x \\| \\[a\\]\\(http://evil\\)\\\\n\\# forged" in text


FORMULAS = [
    '=HYPERLINK("http://evil","x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd",
    "\t=1+1",
    "\r=1+1",
]


def test_alerts_go_to_hostile_findings_and_locked_out_administrators_with_names_escaped():
    from signins.runs.alerts import finding_alerts

    finding = {"user_principal_name": "eve\x1b[2J@x.com", "user_key": "k", "detail": "d\r\nforged: 1"}
    alerts = finding_alerts(
        [
            finding | {"finding": "fatigue_burst", "verdict": "hostile"},
            finding | {"finding": "password_known_elsewhere", "verdict": "suspicious"},  # not alone
            finding | {"finding": "privileged_lockout", "verdict": "benign"},  # an admin locked out, attack or not
            finding | {"finding": "recurring", "verdict": "benign"},
        ]
    )
    assert [a.title.split(": ")[1] for a in alerts] == [
        "MFA fatigue burst (hostile)",
        "privileged account failing MFA (benign)",
    ]
    assert all("\x1b" not in a.title and "\r" not in a.body and "\n" not in a.body for a in alerts)


def test_csv_exports_neutralise_every_cell_a_spreadsheet_would_run(store: Store, tmp_path: Path):
    """Attacker-chosen user and policy names, on failures recurring over three days: causes, users and
    policies exports carry them, each as text."""
    records = []
    for n, formula in enumerate(FORMULAS):
        for day in (3, 4, 5):
            policies = [{**p, "displayName": formula} for p in BASE["appliedConditionalAccessPolicies"]]
            records.append(
                {
                    **BASE,
                    "id": f"f-{n}-{day}",
                    "correlationId": f"c-{n}-{day}",
                    "userId": f"u-{n}",
                    "userPrincipalName": formula,
                    "createdDateTime": f"2026-11-0{day}T08:14:22Z",
                    "appliedConditionalAccessPolicies": policies,
                }
            )
    path = tmp_path / "formulas.json"
    path.write_text(json.dumps({"value": records}))
    store.ingest(path)
    store.con.close()
    assert signins("tag", "--db", str(store.db_path)).returncode == 0
    for kind in ("causes", "users", "policies"):
        out = tmp_path / f"{kind}.csv"
        done = signins("export", kind, "--db", str(store.db_path), "--out", str(out))
        assert done.returncode == 0, done.stderr
        with out.open(newline="", encoding="utf-8") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert any(cell.startswith("'") for cell in cells), kind
        runnable = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"-?[\d.]+", c)]
        assert not runnable, (kind, runnable)


def test_an_export_into_an_unwritable_place_is_one_line_and_exit_3(store: Store, tmp_path: Path):
    store.con.close()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = signins("export", "causes", "--db", str(store.db_path), "--out", str(blocker / "causes.csv"))
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and "cannot write the export" in done.stderr
