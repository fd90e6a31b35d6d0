"""signin-analytics: Entra ID sign-in logs into answers about MFA failures (error 500121)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
