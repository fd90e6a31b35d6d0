"""`signins simulate`: write the synthetic sample tenant."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/sample"),
    show_default=True,
    help="Folder to write the sample into.",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: the bundled sample's, 500121).")
@click.option("--days", type=int, default=None, help="Days simulated (default 30).")
@click.option("--users", type=int, default=None, help="Accounts in the tenant (default 250).")
def simulate(out: Path, seed: int | None, days: int | None, users: int | None) -> None:
    """Write the deterministic synthetic sample tenant (Graph beta pages + ground truth).

    With the defaults this regenerates data/sample/ byte for byte; see data/sample/README.md.
    """
    from simulator.cli import main as simulator_main

    argv = ["--out", str(out)]
    for flag, value in (("--seed", seed), ("--days", days), ("--users", users)):
        if value is not None:
            argv += [flag, str(value)]
    sys.exit(simulator_main(argv))
