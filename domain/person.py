"""The child or young person: an aggregate of its own, linked to every case of that child.

SEN2 module 1 is one row per person (sen2-export.md): the authority's stable id, surname,
forename, date of birth, sex, ethnicity, postcode, UPN, ULN and, when neither number is
known, the reason. A second request for a known child joins the same person, so the return
counts children, not cases.

The details are personal data. This module validates them and keeps them in memory; it never
stores or encrypts anything (the service seals the details with the person's own key before
they reach the event store, and destroying that key erases them: `service/people.py`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.text import one_line

# SEN2 `Sex` (CBDS): the tool councils use to read SEN2 maps M and F (and the older numeric
# Gender codes), so these are what the return carries.
SEXES = {"M": "Male", "F": "Female"}

# DfE's ethnicity codes (main categories, as in the school census and SEN2).
ETHNICITIES = {
    "WBRI": "White - British",
    "WIRI": "White - Irish",
    "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy / Roma",
    "WOTH": "Any other White background",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean",
    "BAFR": "Black - African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}

# Why neither a UPN nor a ULN is given (CBDS "UPN unknown" codes; check the year's SEN2
# specification for any it adds).
UPN_UNKNOWN_REASONS = {
    "UN1": "Child is aged under 6 years old and is not yet assigned a UPN",
    "UN2": "Child has never attended a state-funded school in England and has not been "
           "assigned a UPN",
    "UN3": "Child is educated at home",
    "UN4": "Child is a refugee or asylum seeker",
    "UN5": "Sources collating UPNs reflect discrepancy",
}

UPN_PATTERN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
ULN_PATTERN = re.compile(r"^[0-9]{10}$")
# A UK postcode: outward code, a space, inward code (BFPO and overseas are not SEN2's).
POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$")

# The one text rule (domain/text.py): no control characters, NUL included, in a name.
Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(one_line)]
Sex = Literal["M", "F"]
Ethnicity = Literal[
    "WBRI", "WIRI", "WIRT", "WROM", "WOTH", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
]
UpnUnknown = Literal["UN1", "UN2", "UN3", "UN4", "UN5"]

PERSON_FIELDS = ("surname", "forename", "date_of_birth", "sex", "ethnicity", "postcode",
                 "upn", "uln", "upn_unknown_reason", "local_id")


class PersonDetails(BaseModel):
    """The personal fields of SEN2 module 1, plus the authority's own id for the child."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    surname: Name
    forename: Name
    date_of_birth: date
    sex: Sex | None = None
    ethnicity: Ethnicity | None = None
    postcode: str | None = Field(default=None, max_length=10)
    upn: str | None = Field(default=None, max_length=13)
    uln: str | None = Field(default=None, max_length=10)
    upn_unknown_reason: UpnUnknown | None = None
    local_id: Annotated[str, AfterValidator(one_line)] | None = Field(
        default=None, min_length=1, max_length=64)

    @field_validator("surname", "forename")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = "".join(value.upper().split())
        shaped = f"{compact[:-3]} {compact[-3:]}"
        if not POSTCODE_PATTERN.match(shaped):
            raise ValueError(f"{value!r} is not a UK postcode (e.g. SW1A 1AA)")
        return shaped

    @field_validator("upn")
    @classmethod
    def _upn(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if not UPN_PATTERN.match(value):
            raise ValueError("a UPN is a letter, 11 digits, then a digit or letter "
                             "(13 characters)")
        return value

    @field_validator("uln")
    @classmethod
    def _uln(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not ULN_PATTERN.match(value):
            raise ValueError("a ULN is 10 digits")
        return value

    @model_validator(mode="after")
    def _number_or_reason(self) -> PersonDetails:
        """SEN2 asks for the UPN or the ULN, and for the reason only when neither is known."""
        numbered = self.upn is not None or self.uln is not None
        if numbered and self.upn_unknown_reason is not None:
            raise ValueError("upn_unknown_reason is only for a child with neither a UPN nor "
                             "a ULN")
        return self

    def field_values(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def fold(text: str) -> str:
    """Text as search compares it: accents dropped, case folded, spaces collapsed
    ("Zoë  O'Brien" and "zoe o'brien" are the same key)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def search_terms(details: PersonDetails) -> dict[str, str]:
    """The exact-match keys a person can be found by, folded; the service stores only keyed
    hashes of them. `identity` (surname, forename, date of birth) and the UPN/ULN also find
    the same child when a new request comes in."""
    terms = {
        "surname": fold(details.surname),
        "forename": fold(details.forename),
        "date_of_birth": details.date_of_birth.isoformat(),
        "identity": "|".join((fold(details.surname), fold(details.forename),
                              details.date_of_birth.isoformat())),
    }
    for name in ("local_id", "upn", "uln"):
        value = getattr(details, name)
        if value:
            terms[name] = fold(value)
    return terms


def erase_after(date_of_birth: date, retention_years: int) -> date:
    """The day a person's record may be destroyed: their birthday `retention_years` on
    (a 29 February birthday counts from 28 February in a common year)."""
    year = date_of_birth.year + retention_years
    try:
        return date_of_birth.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


class Person(Aggregate):
    """A child or young person. `details` is None once erased (its key destroyed): the
    events stay, the cases still replay, and the person reads as erased."""

    @staticmethod
    def create_id(person_id: str) -> UUID:
        """The id the service chose (a retried registration must make the same person)."""
        return UUID(person_id)

    @event("Registered")
    def __init__(self, person_id: str, details: PersonDetails | None, actor: str) -> None:
        self.details = details
        self.registered_by = actor
        self.case_refs: list[str] = []
        self.erased_on: date | None = None

    @event("DetailsCorrected")
    def correct(self, details: PersonDetails | None, actor: str) -> None:
        self.details = details

    @event("CaseLinked")
    def link_case(self, case_ref: str, actor: str) -> None:
        if case_ref not in self.case_refs:
            self.case_refs.append(case_ref)

    @event("Erased")
    def erase(self, on: date, actor: str) -> None:
        self.details = None
        self.erased_on = on

    @property
    def erased(self) -> bool:
        return self.erased_on is not None
