"""Serving the API and pages, and the bearer tokens that let people in."""

from __future__ import annotations

import argparse
import logging
import sys

from service.settings import StoreSettings
from service.tokens import DEFAULT_DAYS, ROLES, TokenStore, tokens_path


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
    token_commands = tokens.add_subparsers()
    add = token_commands.add_parser("add", help="make a token (shown once)")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--name", required=True)
    add.add_argument("--team", default=None)
    add.add_argument("--days", type=int, default=DEFAULT_DAYS,
                     help=f"days until it expires (default {DEFAULT_DAYS})")
    add.set_defaults(run=_tokens_add)
    listing = token_commands.add_parser("list", help="every token: id, role, name, team, "
                                                     "expiry (never the token itself)")
    listing.set_defaults(run=_tokens_list)
    revoke = token_commands.add_parser("revoke", help="stop a token at once")
    revoke.add_argument("id", help="the token's id, from ehc tokens list")
    revoke.set_defaults(run=_tokens_revoke)


def _token_store() -> TokenStore:
    return TokenStore(tokens_path(StoreSettings.from_environment()))


def _tokens_add(arguments: argparse.Namespace) -> int:
    try:
        token = _token_store().add(arguments.role, arguments.name, arguments.team,
                                   days=arguments.days)
    except ValueError as error:
        print(f"ehc tokens add: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _tokens_list(arguments: argparse.Namespace) -> int:
    store = _token_store()
    today = store.today()
    for info in store.list():
        print(f"{info.id}  {info.role:<10}  {info.name}  {info.team or '-'}  "
              f"{info.state(today)}{'  (demo)' if info.demo else ''}")
    return 0


def _tokens_revoke(arguments: argparse.Namespace) -> int:
    try:
        info = _token_store().revoke(arguments.id)
    except KeyError as error:
        print(f"ehc tokens revoke: {error.args[0]}", file=sys.stderr)
        return 2
    print(f"revoked {info.id} ({info.role}, {info.name})")
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
