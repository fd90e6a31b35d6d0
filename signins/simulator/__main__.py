"""Entry point for ``python3 -m signins.simulator``."""
import sys

from .cli import main

sys.exit(main())
