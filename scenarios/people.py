"""The demo authority's children: one per case, every SEN2 module 1 field filled with codes
(sex, ethnicity, UPN or ULN, or the reason neither is known), and about one child in
twenty with a second request, so the return counts children, not cases.

Deterministic for a seed, like the cases (scenarios/generator.py): case N's child is the same
whatever the count. Names are invented, with accents, so search is tried on them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from domain.person import PersonDetails
from scenarios.generator import GeneratorSettings

FORENAMES = {
    "M": ["Oliver", "Muhammad", "Noah", "Leo", "Jack", "Tobi", "Arjun", "Kacper", "Yusuf",
          "Theo", "Finley", "Ibrahim", "Rhys", "Mateo", "Oisín", "Łukasz", "Zain", "Kwame"],
    "F": ["Olivia", "Amelia", "Isla", "Ava", "Zoë", "Chloé", "Aisha", "Maya", "Siân", "Freya",
          "Hafsa", "Ruby", "Mía", "Niamh", "Amara", "Lena", "Priya", "Grace"],
}
SURNAMES = ["Smith", "Jones", "Williams", "Brown", "Taylor", "Khan", "Patel", "Okafor",
            "O'Brien", "Nowak", "Ahmed", "Evans", "Hughes", "Müller", "Begum", "Davies",
            "Wilson", "Murphy", "Ali", "Thompson", "Clarke", "Mensah", "Kowalski", "Robinson",
            "Hussain", "Walker", "Green", "Fernández", "Campbell", "Singh"]
# Roughly the SEN2 population of an English authority (about 7 in 10 are boys).
ETHNICITY_WEIGHTS = {"WBRI": 62, "WOTH": 6, "WIRI": 1, "WROM": 1, "MWBC": 3, "MWBA": 1,
                     "MWAS": 2, "MOTH": 3, "AIND": 2, "APKN": 5, "ABAN": 2, "AOTH": 2,
                     "BCRB": 2, "BAFR": 4, "BOTH": 1, "CHNE": 1, "OOTH": 2, "NOBT": 1}
DISTRICTS = ["N1", "N7", "N19", "E2", "E8", "SE5", "SE15", "NW5", "B12", "M14", "LS6", "BS5"]
SECOND_REQUEST_SHARE = 0.05
UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


@dataclass(frozen=True)
class DemoChild:
    case_ref: str
    child: str  # the first case of the child ("17"; "P3": a plan in place), shared by its cases
    details: PersonDetails


def demo_children(config: GeneratorSettings) -> Iterator[DemoChild]:
    """The child of every demo case (requests, then plans already in place), in case order."""
    for number in range(config.cases):
        child = str(_first_case_of_child(config, number))
        yield DemoChild(f"{config.prefix}-{config.seed}-{number:07d}", child,
                        child_details(config, child))
    for number in range(config.plans_in_place):
        child = f"P{number}"
        yield DemoChild(f"{config.prefix}-{config.seed}-P{number:06d}", child,
                        child_details(config, child, older=True))


def _first_case_of_child(config: GeneratorSettings, number: int) -> int:
    rng = random.Random(f"{config.seed}:person:{number}")
    if number >= 50 and rng.random() < SECOND_REQUEST_SHARE:
        earlier = number - rng.randint(1, 50)
        return _first_case_of_child(config, earlier)
    return number


def child_details(config: GeneratorSettings, child: int | str,
                  older: bool = False) -> PersonDetails:
    """A child's details, the same for the same child whatever the count. `older`: a child
    whose plan was made years before the history starts."""
    rng = random.Random(f"{config.seed}:child:{child}")
    sex = "M" if rng.random() < 0.7 else "F"
    youngest = 6 if older else 2
    age_days = rng.randint(youngest * 365, 20 * 365)
    born = config.today - timedelta(days=age_days + rng.randint(0, 3 * 365))
    age = (config.today - born).days // 365
    ethnicity = rng.choices(list(ETHNICITY_WEIGHTS), list(ETHNICITY_WEIGHTS.values()))[0]
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    postcode = (f"{rng.choice(DISTRICTS)} {rng.randint(1, 9)}{rng.choice(letters)}"
                f"{rng.choice(letters)}")
    numbers = _numbers(rng, age, born)
    serial = int(child[1:]) + 500000 if isinstance(child, str) and child.startswith("P") \
        else int(child)
    return PersonDetails(
        surname=rng.choice(SURNAMES), forename=rng.choice(FORENAMES[sex]), date_of_birth=born,
        sex=sex, ethnicity=ethnicity, postcode=postcode, local_id=f"C{100000 + serial}",
        **numbers)


def _numbers(rng: random.Random, age: int, born: date) -> dict[str, str]:
    """A UPN from school age, a ULN from 14; a child under 6 without a UPN has reason UN1."""
    if age < 6 and rng.random() < 0.6:
        return {"upn_unknown_reason": "UN1"}
    numbers = {"upn": upn(rng.randint(201, 938), born.year % 100, rng.randint(0, 10 ** 7 - 1))}
    if age >= 14:
        numbers["uln"] = f"{rng.randint(10 ** 9, 10 ** 10 - 1)}"
    return numbers


def upn(authority: int, year: int, serial: int) -> str:
    """A permanent UPN: check letter, authority (3), school (4: here the birth year and a
    serial's first digits), serial (5); the check letter is the weighted sum mod 23."""
    digits = f"{authority:03d}{year:02d}{serial:07d}"[:12]
    total = sum(int(digit) * weight for digit, weight in zip(digits, range(2, 14), strict=True))
    return UPN_CHECK_LETTERS[total % 23] + digits[:11] + digits[11]
