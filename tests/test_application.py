"""The application service on both stores: persistence, conflicts, idempotency."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import OutOfOrder
from domain.history import build_fact, restore_fact
from service.application import CaseExists, CaseNotFound, VersionConflict
from service.stores import open_application

TODAY = date(2025, 7, 1)
REQUEST = {"type": "request_received", "on": "2025-02-03", "requester": "parent"}
DECISION = {"type": "decision_to_assess", "on": "2025-03-10", "outcome": "assess"}


def test_events_survive_a_restart_with_actor_and_recording_date(store_settings):
    application = open_application(store_settings)
    application.open_case("C1", team="North", caseworker="Amina")
    application.record("C1", REQUEST, "amina", today=TODAY)
    application.record("C1", DECISION, "amina", today=TODAY)
    reopened = open_application(store_settings)
    case = reopened.case("C1")
    assert [f.type for f in case.facts] == ["request_received", "decision_to_assess"]
    assert case.facts[0].recorded == TODAY  # logged today, happened on 3 Feb
    events = reopened.repository.event_store.get(case.id)
    assert [getattr(e, "actor", None) for e in events] == [None, "amina", "amina"]
    timeline = reopened.timeline("C1", as_of=TODAY)
    assert timeline.deadlines["decision_to_assess"].status == "met"


def test_a_refused_event_changes_nothing(store_settings):
    application = open_application(store_settings)
    application.open_case("C1")
    application.record("C1", REQUEST, "amina", today=TODAY)
    with pytest.raises(OutOfOrder, match=r"a final plan needs a draft plan first \(reg 13\(1\)\)"):
        application.record("C1", {"type": "final_plan_issued", "on": "2025-06-01"}, "amina",
                           today=TODAY)
    assert open_application(store_settings).case("C1").version == 2


def test_a_stale_expected_version_is_a_conflict(store_settings):
    application = open_application(store_settings)
    application.open_case("C1")
    version = application.record("C1", REQUEST, "amina", today=TODAY)
    application.record("C1", DECISION, "ben", expected_version=version, today=TODAY)
    with pytest.raises(VersionConflict, match="at version 3, not 2"):
        application.record("C1", {"type": "advice_requested", "on": "2025-03-11",
                                  "provider": "health"}, "amina", expected_version=version,
                           today=TODAY)


def test_concurrent_writers_get_a_conflict_never_an_overwrite(store_settings):
    first, second = open_application(store_settings), open_application(store_settings)
    first.open_case("C1")
    first.record("C1", REQUEST, "amina", today=TODAY)
    case_a, case_b = first.case("C1"), second.case("C1")  # both read version 2
    case_a.record(build_fact({**DECISION, "recorded": TODAY}), "amina")
    case_b.record(build_fact({**DECISION, "outcome": "refuse", "recorded": TODAY}), "ben")
    first.save(case_a)
    with pytest.raises(Exception) as raised:
        second.save(case_b)
    assert type(raised.value).__name__ == "IntegrityError"
    facts = open_application(store_settings).case("C1").facts
    assert [getattr(f, "outcome", None) for f in facts] == [None, "assess"]


def test_the_same_client_event_id_is_stored_once(store_settings):
    application = open_application(store_settings)
    application.open_case("C1")
    application.record("C1", REQUEST, "amina", today=TODAY, client_event_id="k1")
    version = application.record("C1", DECISION, "amina", today=TODAY, client_event_id="k2")
    again = application.record("C1", DECISION, "amina", today=TODAY, client_event_id="k2")
    assert again == version == 3
    assert len(open_application(store_settings).case("C1").facts) == 2


def test_opening_a_case_twice_is_a_conflict(store_settings):
    application = open_application(store_settings)
    application.open_case("C1")
    with pytest.raises(CaseExists):
        application.open_case("C1")
    with pytest.raises(CaseNotFound):
        application.case("C2")


def test_dates_in_the_future_are_refused(store_settings):
    application = open_application(store_settings)
    application.open_case("C1")
    with pytest.raises(Exception, match="in the future"):
        application.record("C1", {**REQUEST, "on": "2025-07-02"}, "amina", today=TODAY)


def test_stored_facts_restore_equal_to_validated_facts():
    payloads = [
        REQUEST | {"recorded": "2025-02-03", "id": "r"},
        {"type": "exception_recorded", "on": "2025-03-11", "recorded": "2025-03-12",
         "reason": "absence_from_area", "from": "2025-03-01", "to": "2025-04-10",
         "attested_by": "Team manager", "applies_to": ["final_plan"]},
        {"type": "exception_recorded", "on": "2025-03-11", "recorded": "2025-03-11",
         "reason": "missed_appointment", "from": "2025-03-01", "attested_by": "TM",
         "provider": "health"},
        {"type": "correction", "on": "2025-04-01", "recorded": "2025-04-01", "corrects": "r",
         "set": {"on": "2025-02-04"}, "reason": "typo"},
        {"type": "final_plan_issued", "on": "2025-06-01", "recorded": "2025-06-01",
         "family_confirmed_no_comments": True},
    ]
    for payload in payloads:
        assert restore_fact(payload) == build_fact(payload), payload


def test_encrypted_payloads_at_rest(store_settings):
    from dataclasses import replace

    import psycopg
    from eventsourcing.cipher import AESCipher

    from service.stores import open_projection

    settings = replace(store_settings, cipher_key=AESCipher.create_key(16))
    application = open_application(settings)
    application.open_case("C1")
    application.record("C1", REQUEST, "amina", today=TODAY)
    if settings.backend == "sqlite":
        raw = settings.events_path.read_bytes()
    else:
        with psycopg.connect(settings.postgres_conninfo()) as connection:
            raw = b"".join(bytes(row[0]) for row in connection.execute(
                "SELECT state FROM ehcapplication_events"))
    assert raw and b"request_received" not in raw and b"parent" not in raw
    assert open_application(settings).case("C1").facts[0].requester == "parent"
    projection = open_projection(settings, application, today=lambda: TODAY)
    projection.rebuild()  # the projection decrypts with the same key
    assert projection.store.table_rows("ehc_case_summary")[0][0] == "C1"
