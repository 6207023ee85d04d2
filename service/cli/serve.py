"""Serving the API and pages, and the bearer tokens that let people in."""

from __future__ import annotations

import argparse
import logging
import sys

from service.settings import StoreSettings
from service.tokens import ROLES, TokenStore, tokens_path


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true",
                       help="first create a demo authority if the store is empty, and print "
                            "fresh demo tokens for each role")
    serve.add_argument("--demo-cases", type=int, default=3000)
    serve.add_argument("--workers", type=int, default=2, help="server processes")
    serve.set_defaults(run=_serve)

    tokens = commands.add_parser("tokens", help="bearer tokens")
    add = tokens.add_subparsers().add_parser("add", help="make a token (shown once)")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--name", required=True)
    add.add_argument("--team", default=None)
    add.set_defaults(run=_tokens_add)


def _tokens_add(arguments: argparse.Namespace) -> int:
    settings = StoreSettings.from_environment()
    try:
        token = TokenStore(tokens_path(settings)).add(arguments.role, arguments.name,
                                                      arguments.team)
    except ValueError as error:
        print(f"ehc tokens add: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _serve(arguments: argparse.Namespace) -> int:
    import uvicorn

    from service.demo import prepare_demo

    settings = StoreSettings.from_environment()
    if arguments.demo:
        prepare_demo(settings, arguments.demo_cases, f"http://{arguments.host}:{arguments.port}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run("service.api.app:app_from_environment", factory=True, host=arguments.host,
                port=arguments.port, workers=arguments.workers, access_log=False,
                log_level="info",
                # A worker importing the app on a busy two-core machine (say, just after the
                # demo was generated) can take over uvicorn's 5 s: it was killed and restarted.
                timeout_worker_healthcheck=30)
    return 0
