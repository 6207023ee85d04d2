"""The demo local authority `make run` serves: generated once, tokens printed every start."""

from __future__ import annotations

from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.application import CaseNotFound, today_in_england
from service.people import add_demo_people
from service.settings import StoreSettings
from service.stores import open_application, open_projection
from service.tokens import TokenStore, tokens_path

DEMO_PEOPLE = (
    ("caseworker", "Amina Shah", "North"),
    ("caseworker", "Grace Okafor", "South"),
    ("manager", "Head of SEN", None),
    ("board", "SEND Partnership Board", None),
    ("auditor", "Internal Audit", None),
)


def ensure_demo_data(settings: StoreSettings, cases: int) -> None:
    """Generate the demo authority unless the store holds it already (whatever else it
    holds); bring projections up to date."""
    application = open_application(settings)
    projection = open_projection(settings, application, workers=2)
    config = GeneratorSettings(cases=cases, seed=1, today=today_in_england(),
                               plans_in_place=cases // 2)
    try:
        application.case(f"{config.prefix}-{config.seed}-{0:07d}")  # the demo's first case
    except CaseNotFound:
        print(f"Creating a demo authority: {cases} requests over three years and "
              f"{config.plans_in_place} plans already in place (seed 1)...")
        save_in_batches(application.save, generate_cases(config))
        add_demo_people(settings, application, config)
        projection.rebuild()
    else:
        projection.catch_up()


def prepare_demo(settings: StoreSettings, cases: int, url: str) -> None:
    ensure_demo_data(settings, cases)
    store = TokenStore(tokens_path(settings))
    store.remove_demo()
    print(f"\nEHC timeline tracker on {url}  (API docs: {url}/docs)")
    print("Demo tokens (new each start; send as 'Authorization: Bearer <token>'):")
    for role, name, team in DEMO_PEOPLE:
        token = store.add(role, name, team, demo=True)
        print(f"  {role:<10} {name:<24} {token}")
    print()
