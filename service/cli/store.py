"""Commands over the event store and its projections: the demo authority, rebuild, follow."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from service.application import CaseNotFound, EhcApplication, today_in_england
from service.cli.output import bar
from service.settings import StoreSettings
from service.stores import open_application, open_projection


def register(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="a synthetic local authority")
    generate = demo.add_subparsers().add_parser(
        "generate", help="generate cases through the application, then rebuild projections")
    generate.add_argument("--cases", type=int, default=3000)
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--plans-in-place", type=int, default=None,
                          help="plans already in place at the start (default: half the cases)")
    generate.add_argument("--today", type=date.fromisoformat, default=None,
                          help="the last day of the history (default: today in England)")
    generate.set_defaults(run=_demo_generate)

    rebuild = commands.add_parser("rebuild", help="rebuild every projection from the events")
    rebuild.add_argument("--workers", type=int, default=2, help="processes evaluating cases")
    rebuild.add_argument("--batch-cases", type=int, default=2000, help="cases per commit")
    rebuild.add_argument("--resume", action="store_true",
                         help="carry on an interrupted rebuild instead of starting again")
    rebuild.set_defaults(run=_rebuild)

    follow = commands.add_parser("follow", help="keep projections up to date (polls the log)")
    follow.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
    follow.set_defaults(run=_follow)


def _demo_generate(arguments: argparse.Namespace) -> int:
    from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches

    settings = StoreSettings.from_environment()
    application = open_application(settings)
    in_place = arguments.cases // 2 if arguments.plans_in_place is None else (
        arguments.plans_in_place)
    config = GeneratorSettings(arguments.cases, arguments.seed,
                               arguments.today or today_in_england(), plans_in_place=in_place)
    first = f"{config.prefix}-{config.seed}-{0:07d}"
    try:
        application.case(first)
    except CaseNotFound:
        pass
    else:
        print(f"the store already holds the demo authority of seed {config.seed} ({first} "
              "is open): choose another --seed, or an empty EHC_DATA_DIR", file=sys.stderr)
        return 2
    total = config.cases + config.plans_in_place
    saved = save_in_batches(application.save, generate_cases(config),
                            progress=lambda n: bar("generate", n, total))
    from service.people import add_demo_people

    children = add_demo_people(settings, application, config)
    print(f"\ngenerated {saved} cases of {children} children (seed {config.seed}) up to "
          f"{config.today}")
    return rebuild_with(settings, application, workers=2)


def _rebuild(arguments: argparse.Namespace) -> int:
    settings = StoreSettings.from_environment()
    return rebuild_with(settings, open_application(settings), arguments.workers,
                        arguments.batch_cases, not arguments.resume)


def rebuild_with(
    settings: StoreSettings, application: EhcApplication, workers: int,
    batch_cases: int = 2000, restart: bool = True,
) -> int:
    projection = open_projection(settings, application, workers=workers,
                                 batch_cases=batch_cases)
    started = time.perf_counter()
    events = projection.rebuild(progress=lambda n, total: bar("rebuild", n, total),
                                restart=restart)
    elapsed = time.perf_counter() - started
    print(f"\nrebuilt projections from {events} events in {elapsed:.1f}s")
    return 0


def _follow(arguments: argparse.Namespace) -> int:
    settings = StoreSettings.from_environment()
    projection = open_projection(settings, open_application(settings))
    print(f"following the event log every {arguments.interval}s (Ctrl-C stops)", flush=True)
    try:
        while True:
            if projection.catch_up():
                print(f"position {projection.store.tracking().position}", flush=True)
            time.sleep(arguments.interval)
    except KeyboardInterrupt:
        return 0
