"""Run the command-line interface: ``python -m dedup``."""

from __future__ import annotations

import sys

from dedup.cli import main

sys.exit(main())
