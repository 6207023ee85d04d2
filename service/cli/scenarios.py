"""`ehc scenarios check`: the scenario contract's command (scenario-format.md)."""

from __future__ import annotations

import argparse
import json


def register(commands: argparse._SubParsersAction) -> None:
    scenarios = commands.add_parser("scenarios", help="scenario files: the executable examples")
    check = scenarios.add_subparsers().add_parser("check", help="replay scenario files and compare")
    check.add_argument("paths", nargs="+", help="scenario files or folders (*.yaml, *.yml)")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.set_defaults(run=_scenarios_check)


def _scenarios_check(arguments: argparse.Namespace) -> int:
    from service.scenario_check import check_paths

    summary = check_paths(arguments.paths)
    if arguments.json:
        print(json.dumps(summary.as_json(), indent=2))
    else:
        print("\n".join(summary.lines()))
    return summary.exit_code
