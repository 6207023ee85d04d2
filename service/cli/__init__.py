"""The `ehc` command line: one module per group of commands, each adding its own parsers.

A group module has `register(commands)`, which adds its sub-commands to the top-level
sub-parsers and sets each one's `run(arguments) -> exit code`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from service.cli import bench, forecast, imports, people, reports, scenarios, serve, store

GROUPS = (scenarios, store, reports, serve, bench, people, imports, forecast)


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # whatever a command writes (stores, locks, tokens, exports) is private
    parser = _parser()
    arguments = parser.parse_args(argv)
    if not hasattr(arguments, "run"):
        parser.print_help()
        return 2
    return int(arguments.run(arguments) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ehc", description="EHC needs assessment timelines")
    commands = parser.add_subparsers()
    for group in GROUPS:
        group.register(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
