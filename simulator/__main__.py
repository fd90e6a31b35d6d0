"""Entry point for ``python3 -m simulator``."""

import sys

from .cli import main

sys.exit(main())
