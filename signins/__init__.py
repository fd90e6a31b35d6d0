"""signin-analytics: Entra ID sign-in logs into answers about MFA failures (error 500121)."""

from importlib import metadata
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"

try:
    __version__ = metadata.version("signin-analytics")
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
