"""Command line: ``python3 -m simulator --out data/sample --seed 500121``."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from .generate import DEFAULT_DAYS, DEFAULT_END, DEFAULT_SEED, DEFAULT_USERS, generate_sample
from .output import write_sample


def parse_args(argv=None) -> argparse.Namespace:
    """Parse and check the command line."""
    parser = argparse.ArgumentParser(
        prog="python3 -m simulator",
        description="Write a deterministic, synthetic Entra ID sign-in sample (Graph beta pages, "
        "ground truth for error 500121 causes, tenant facts).",
    )
    parser.add_argument("--out", type=Path, default=Path("data/sample"), help="output directory (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days simulated (default: %(default)s)")
    parser.add_argument(
        "--users", type=int, default=DEFAULT_USERS, help="accounts in the tenant (default: %(default)s)"
    )
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=DEFAULT_END,
        help="last day simulated, UTC, inclusive (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.users < 20 or args.days < 14:
        parser.error("need at least 20 users and 14 days")
    return args


def main(argv=None) -> int:
    """Generate the sample and write it; returns the exit code."""
    args = parse_args(argv)
    sample = generate_sample(seed=args.seed, users=args.users, days=args.days, end_date=args.end_date)
    paths = write_sample(sample, args.out)
    counts = sample.counts()
    print(f"wrote {len(paths)} files to {args.out}: {counts['records']} records, {len(sample.truth)} with error 500121")
    return 0
