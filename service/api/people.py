"""People over HTTP: the child of each case, search, erasure and the audit store.

`POST /cases` is extended here (this router is included before the cases router, and the
plain route is left out of the schema): a case may name a known child (`person_id`) or carry
a new child's details (`person`); without either it is exactly the original request. The
opening itself is the cases module's own `open_case`, so its rules stay in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from uuid import NAMESPACE_URL, uuid5

import orjson
from fastapi import APIRouter, Body, Depends, Header, Query, Response
from pydantic import BaseModel, Field

from domain.person import PersonDetails
from service.api import cases
from service.api.context import Services, allow, json_response, services
from service.api.problems import Problem
from service.application import CaseNotFound
from service.people import (
    CaseHasAnotherPerson,
    InvalidPerson,
    People,
    PersonForbidden,
    PersonNotFound,
    people_for,
)
from service.personal_data import PersonErased
from service.tokens import Principal

router = APIRouter(tags=["people"])
Writer = Annotated[Principal, Depends(allow("caseworker"))]
Reader = Annotated[Principal, Depends(allow("caseworker", "manager", "auditor"))]
Changer = Annotated[Principal, Depends(allow("caseworker", "manager"))]
Manager = Annotated[Principal, Depends(allow("manager"))]
Auditor = Annotated[Principal, Depends(allow("auditor"))]
Svc = Annotated[Services, Depends(services)]
_PERSON_NAMESPACE = uuid5(NAMESPACE_URL, "urn:ehc-timeline:person-opened-with-case")
PERSON_EXAMPLE = {"surname": "Okafor", "forename": "Tobi", "date_of_birth": "2016-07-13",
                  "sex": "M", "ethnicity": "BAFR", "postcode": "N1 9GU",
                  "upn": "A123456789012", "local_id": "C104233"}

for _route in cases.router.routes:  # the extended POST /cases below answers instead
    if getattr(_route, "path", None) == "/cases" and "POST" in getattr(_route, "methods", ()):
        _route.include_in_schema = False  # type: ignore[attr-defined]


class OpenCaseForChild(cases.OpenCase):
    person_id: str | None = Field(default=None, max_length=36,
                                  description="a known child (you must be able to read them)")
    person: PersonDetails | None = Field(
        default=None, description="a new child's details (SEN2 module 1); a child already "
        "known by UPN, ULN, or surname, forename and date of birth is joined instead")


class LinkCase(BaseModel):
    case_ref: str = Field(pattern=cases.CASE_REF)


@contextmanager
def _as_problems() -> Iterator[None]:
    """The people's refusals as problem details."""
    try:
        yield
    except PersonForbidden as error:
        raise Problem(403, "Forbidden", str(error), "person_forbidden") from None
    except (PersonNotFound, CaseNotFound):
        raise Problem(404, "Not found", "no such person or case", "not_found") from None
    except InvalidPerson as error:
        raise Problem(422, "Invalid person", str(error), "invalid_person") from None
    except PersonErased:
        raise Problem(410, "Erased", "this child's details were erased", "person_erased") from None
    except CaseHasAnotherPerson as error:
        raise Problem(409, "Case has a child", str(error), "case_has_person") from None


def _people(svc: Services) -> People:
    return people_for(svc.application)


@router.post("/cases", status_code=201, tags=["cases"])
def open_case(
    body: OpenCaseForChild, who: Writer, svc: Svc,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Response:
    """Open a case for your team, for a known child (`person_id`), a new child (`person`),
    or neither (a child can be linked later). A retry with the same `Idempotency-Key`
    returns the first result; any other opening of a reference already open is 409."""
    if body.person_id is not None and body.person is not None:
        raise Problem(422, "Invalid request", "name a known child or give a new child's "
                      "details, not both", "invalid_request")
    if body.person_id is None and body.person is None:  # the original request, as it was
        return cases.open_case(cases.OpenCase(case_ref=body.case_ref, team=body.team,
                                              caseworker=body.caseworker),
                               who, svc, idempotency_key)
    people = _people(svc)
    with _as_problems():
        if body.person_id is not None:
            people.read(body.person_id, who, purpose="link")  # may they? (audited)
    opened = cases.open_case(cases.OpenCase(case_ref=body.case_ref, team=body.team,
                                            caseworker=body.caseworker),
                             who, svc, idempotency_key)
    with _as_problems():
        person_id, joined = _child_of(people, body, who)
        people.link(body.case_ref, person_id, who.name)
    result = {**orjson.loads(bytes(opened.body)), "person_id": person_id,
              "joined_known_child": joined}
    return json_response(result, status_code=201, headers={"ETag": opened.headers["ETag"]})


def _child_of(people: People, body: OpenCaseForChild, who: Principal) -> tuple[str, bool]:
    if body.person_id is not None:
        return body.person_id, True
    assert body.person is not None
    known = people.match(body.person)
    if known is not None:
        people.store.audit(who.name, who.role, "join", [known], "new case for a known child")
        return known, True
    # The same case always makes the same child: a retried opening finds it, not a twin.
    person_id = str(uuid5(_PERSON_NAMESPACE, body.case_ref))
    return people.register(body.person, who.name, person_id), False


@router.get("/cases/{case_ref}/person", tags=["cases"])
def case_person(case_ref: str, who: Reader, svc: Svc) -> dict[str, Any]:
    """The child of a case (an audited read), or `person: null` if none is recorded yet."""
    people = _people(svc)
    with _as_problems():
        case = svc.application.case(case_ref)
        if not who.works_on(case.team):
            raise PersonForbidden("this case is not your team's")
        person_id = people.person_of_case(case_ref)
        if person_id is None:
            return {"case_ref": case_ref, "person": None}
        return {"case_ref": case_ref, "person": people.read(person_id, who).as_json()}


@router.get("/search")
def search(
    who: Reader, svc: Svc,
    q: Annotated[str, Query(min_length=1, max_length=200, description=(
        "a case reference, or a child's surname, forename, date of birth (2016-07-13, "
        "13/07/2016, 13 July 2016) or local id: exact, ignoring case and accents"))],
) -> dict[str, Any]:
    """Cases you may read, by reference or by their child; every child shown is audited."""
    with _as_problems():
        hits = _people(svc).search(who, q)
    return {"count": len(hits), "results": [hit.as_json() for hit in hits]}


@router.get("/people/due-for-erasure")
def due_for_erasure(who: Manager, svc: Svc) -> dict[str, Any]:
    """Children whose retention period (date of birth + EHC_RETENTION_YEARS) has ended."""
    people = _people(svc)
    with _as_problems():
        due = people.due_for_erasure(who, svc.today())
    return {"retention_years": people.retention_years, "evaluated_on": svc.today().isoformat(),
            "people": due}


@router.get("/people/{person_id}")
def read_person(person_id: str, who: Reader, svc: Svc) -> dict[str, Any]:
    """A child's details and the cases you may read (an audited read)."""
    with _as_problems():
        return _people(svc).read(person_id, who).as_json()


@router.patch("/people/{person_id}")
def correct_person(
    person_id: str, who: Changer, svc: Svc,
    fields: Annotated[dict[str, Any], Body(examples=[{"postcode": "N1 9GU"}])],
) -> dict[str, Any]:
    """Correct some of a child's details (the earlier values stay in the sealed history)."""
    with _as_problems():
        return _people(svc).correct(person_id, fields, who).as_json()


@router.post("/people/{person_id}/cases", status_code=201)
def link_case(person_id: str, body: LinkCase, who: Changer, svc: Svc) -> dict[str, Any]:
    """Join an open case to its child: a caseworker of the case's team who may read the
    child, or a manager."""
    people = _people(svc)
    with _as_problems():
        case = svc.application.case(body.case_ref)
        if not who.works_on(case.team):
            raise PersonForbidden("this case is not your team's")
        people.read(person_id, who, purpose="link")
        people.link(body.case_ref, person_id, who.name)
        return people.read(person_id, who).as_json()


@router.post("/people/{person_id}/erasure", status_code=200)
def erase(person_id: str, who: Manager, svc: Svc) -> dict[str, Any]:
    """Erase a child: their key is destroyed, their details can never be read again; the
    cases stay and still replay."""
    people = _people(svc)
    with _as_problems():
        people.erase(person_id, who.name, svc.today())
    return {"person_id": person_id, "erased": True, "erased_on": svc.today().isoformat()}


@router.get("/audit/people")
def audit(
    who: Auditor, svc: Svc, person_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """Who read or changed which child, when, as what: newest first."""
    with _as_problems():
        entries = _people(svc).audit_trail(who, person_id, limit)
    return {"count": len(entries), "entries": entries}

