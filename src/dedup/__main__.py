"""Run the command-line interface: ``python -m dedup``."""

from __future__ import annotations

from dedup.cli import program

program()
