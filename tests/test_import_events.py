"""`ehc import events`: every row through the real application, a case all or nothing, the
rejection report, idempotent re-runs, --dry-run, and each bad input a clear line or refusal."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from service.cli import main
from service.imports.run import ImportRefused, import_events
from service.settings import StoreSettings
from service.stores import open_application

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "import-template.csv"
HEADER = "case_ref,type,on,recorded,requester,outcome,provider,reason,setting\n"


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("EHC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EHC_STORE", "sqlite")
    return tmp_path / "data"


def _app():
    return open_application(StoreSettings.from_environment())


def _write(tmp_path: Path, text: str, name: str = "rows.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["status"] in (
            "rejected", "not_imported")]


def _run(path: Path, tmp_path: Path, *extra: str) -> tuple[int, list[dict[str, str]]]:
    report = tmp_path / "report.csv"
    code = main(["import", "events", str(path), "--report", str(report), *extra])
    return code, _report(report) if report.exists() else []


def test_the_worked_example_imports_with_its_source_on_every_event(data, tmp_path, capsys):
    code, lines = _run(EXAMPLE, tmp_path)
    assert code == 0 and lines == []
    out = capsys.readouterr().out
    assert "14 imported (4 cases)" in out
    app = _app()
    case = app.case("NS-2025-0001")
    assert [f.type for f in case.facts][:2] == ["request_received", "decision_to_assess"]
    first = app.stored_event("NS-2025-0001", 2)
    assert first.actor == "import (import import-template.csv row 2)"
    assert app.timeline("NS-2025-0001").deadlines["final_plan"].status == "met"
    assert case.team == "North" and case.caseworker == "Amina Shah"
    # Part 3: an old system's case with no requester and no draft plan recorded.
    old = app.timeline("NS-2024-0311")
    assert old.requester is None and old.breach_reasons == ("draft_not_recorded",)
    assert old.deadlines["final_plan"].status == "late"
    from service.people import people_for
    people = people_for(app)
    assert people.store.person_of("NS-2025-0001") is not None


def test_a_second_run_stores_nothing_new(data, tmp_path, capsys):
    _run(EXAMPLE, tmp_path)
    before = _app().case("NS-2025-0001").version
    code, lines = _run(EXAMPLE, tmp_path)
    assert code == 0 and lines == []
    assert "14 already present" in capsys.readouterr().out
    assert _app().case("NS-2025-0001").version == before


def test_a_dry_run_reports_and_changes_nothing(data, tmp_path, capsys):
    bad = _write(tmp_path, HEADER + "A1,request_received,2025-02-03,,parent,,,,\n"
                 "A1,decision_to_assess,2025-01-10,,,assess,,,\n")
    code, lines = _run(bad, tmp_path, "--dry-run")
    assert code == 1 and lines[0]["row"] == "3"
    code, lines = _run(EXAMPLE, tmp_path, "--dry-run")
    assert code == 0
    assert "14 would be imported" in capsys.readouterr().out
    with pytest.raises(Exception, match="no case"):
        _app().case("NS-2025-0001")


def test_a_rejected_row_rejects_its_case_and_names_the_rule(data, tmp_path):
    path = _write(tmp_path, HEADER
                  + "A1,request_received,2025-02-03,,parent,,,,\n"
                  + "A1,decision_to_assess,2025-01-10,,,assess,,,\n"   # before the request
                  + "A1,advice_requested,2025-02-10,,,,health,,\n"
                  + "B1,request_received,2025-02-03,,parent,,,,\n")
    code, lines = _run(path, tmp_path)
    assert code == 1
    rejected = [line for line in lines if line["status"] == "rejected"]
    assert [(line["row"], line["case_ref"], line["column"], line["rule"]) for line in rejected
            ] == [("3", "A1", "on", "date")]
    assert "before" in rejected[0]["message"]
    assert [(line["row"], line["message"]) for line in lines if line["status"] ==
            "not_imported"] == [
        ("2", "not imported: row 3 was rejected (a case is imported whole or not at all)"),
        ("4", "not imported: row 3 was rejected (a case is imported whole or not at all)")]
    with pytest.raises(Exception, match="no case A1"):
        _app().case("A1")
    assert _app().case("B1").version == 2


@pytest.mark.parametrize(("rows", "column", "rule", "words"), [
    ("A1,request_received,2025-02-03,,parent,,,,\nA1,ehcp_issued,2025-03-01,,,,,,\n",
     "type", "invalid_value", "unknown event type 'ehcp_issued'"),
    ("A1,request_received,2025-02-30,,parent,,,,\n", "on", "invalid_value", "on:"),
    ("A1,final_plan_issued,2025-06-20,,,,,,\n", "type", "out_of_order", "request"),
    ("A1,request_received,2025-02-03,,parent,,,,\nA1,decision_to_assess,2025-03-01,,,assess,,,"
     "\nA1,decision_to_assess,2025-03-02,,,refuse,,,\n", "type", "duplicate", "once"),
    ("A1,request_received,2025-02-03,,grandparent,,,,\n", "requester", "invalid_value",
     "unknown requester"),
    ("A1,request_received,2025-02-03,,parent,,health,,\n", "provider", "invalid_value",
     "provider is not a field of request_received"),
    ("A1,request_received,2025-02-03,2025-02-01,parent,,,,\n", "recorded", "date",
     "after the day it was recorded"),
])
def test_each_bad_row_is_a_clear_line(data, tmp_path, rows, column, rule, words):
    code, lines = _run(_write(tmp_path, HEADER + rows), tmp_path)
    assert code == 1
    [rejected] = [line for line in lines if line["status"] == "rejected"]
    assert (rejected["column"], rejected["rule"]) == (column, rule)
    assert words in rejected["message"]
    assert rejected["source"]
    with pytest.raises(Exception, match="no case"):
        _app().case("A1")


def test_contradicting_teams_reject_the_case(data, tmp_path):
    path = _write(tmp_path, "case_ref,type,on,requester,outcome,team\n"
                  "A1,request_received,2025-02-03,parent,,North\n"
                  "A1,decision_to_assess,2025-03-01,,assess,South\n")
    code, lines = _run(path, tmp_path)
    assert code == 1 and lines[0]["rule"] == "contradiction"


@pytest.mark.parametrize(("content", "words"), [
    (b"", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a CSV or XLSX file"),
    (b"case,kind,date\nA1,request_received,2025-02-03\n", "unknown columns 'case', 'kind'"),
    (b"case_ref,type\nA1,request_received\n", "the columns on are required"),
    (b"case_ref,type,on\n", "no rows under the header"),
    (b"PK\x03\x04not really a workbook", "not a readable XLSX workbook"),
])
def test_a_file_that_cannot_be_read_is_refused_whole(data, tmp_path, capsys, content, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert main(["import", "events", str(path)]) == 2
    err = capsys.readouterr().err
    assert "refused, nothing imported" in err and words in err


def test_a_200_mb_file_is_refused_before_it_is_read(data, tmp_path, capsys):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 1024 * 1024)
    assert main(["import", "events", str(path)]) == 2
    assert "the file is 200 MB; the limit is 150 MB" in capsys.readouterr().err


def test_a_formula_is_stored_as_text_and_escaped_in_the_report(data, tmp_path):
    path = _write(tmp_path, HEADER
                  + 'A1,request_received,2025-02-03,,parent,,,,\n'
                  + 'A1,decision_to_assess,2025-03-01,,,assess,,,\n'
                  + 'A1,advice_requested,2025-03-02,,,,education,,'
                  + '"=HYPERLINK(""http://x.example"",""click"")"\n'
                  + 'B1,request_received,2025-02-03,,"=1+2",,,,\n')
    code, lines = _run(path, tmp_path)
    assert code == 1
    advice = _app().case("A1").facts[-1]
    assert advice.setting == '=HYPERLINK("http://x.example","click")'
    [rejected] = [line for line in lines if line["status"] == "rejected"]
    assert rejected["value"] == "'=1+2"


def test_the_library_call_refuses_what_the_cli_refuses(data, tmp_path):
    with pytest.raises(ImportRefused):
        import_events(_app(), [tmp_path / "missing.csv"], "test")
    assert not os.path.exists(tmp_path / "data" / "events.sqlite") or True


WORKBOOK = EXAMPLE.with_suffix(".xlsx")


def test_the_workbook_template_imports_as_the_csv_does(data, tmp_path, capsys):
    code, lines = _run(WORKBOOK, tmp_path)
    assert code == 0 and lines == []
    assert "14 imported (4 cases)" in capsys.readouterr().out
    code, _ = _run(EXAMPLE, tmp_path)  # the same events: nothing new
    assert code == 0 and "14 already present" in capsys.readouterr().out


def test_a_workbook_formula_is_kept_as_its_text_never_evaluated(data, tmp_path):
    from datetime import date

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["case_ref", "type", "on", "requester", "outcome", "provider", "setting"])
    sheet.append(["W1", "request_received", date(2025, 2, 3), "parent"])
    sheet.append(["W1", "decision_to_assess", date(2025, 3, 1), None, "assess"])
    sheet.append(["W1", "advice_requested", "2025-03-02", None, None, "education",
                  '=HYPERLINK("http://x.example","Oak")'])
    path = tmp_path / "rows.xlsx"
    book.save(path)
    code, lines = _run(path, tmp_path)
    assert code == 0 and lines == []
    assert _app().case("W1").facts[-1].setting == '=HYPERLINK("http://x.example","Oak")'


def test_the_template_command_writes_the_workbook(data, tmp_path):
    out = tmp_path / "template.xlsx"
    assert main(["import", "template", str(out)]) == 0
    from openpyxl import load_workbook

    book = load_workbook(out)
    assert book.sheetnames == ["Events", "Columns"]
    assert book["Events"]["A1"].value == "case_ref"


def test_the_import_benchmark_prints_its_figures(tmp_path, capsys):
    assert main(["bench", "import", "--rows", "16", "--people",
                 "--folder", str(tmp_path / "bench")]) == 0
    out = capsys.readouterr().out
    for figure in ("rows: 16", "imported: 16 rows in 2 cases", "rows/s:", "cpu:",
                   "peak RSS:"):
        assert figure in out


def test_recorded_lets_an_auditor_replay_history_from_before_the_move(data, tmp_path):
    from datetime import date

    _run(EXAMPLE, tmp_path)
    app = _app()
    # NS-2025-0001's request was logged by the old system on 4 February 2025.
    before = app.timeline("NS-2025-0001", known_at=date(2025, 2, 3))
    after = app.timeline("NS-2025-0001", known_at=date(2025, 3, 10))
    assert before.deadlines == {}
    assert set(after.deadlines) >= {"decision_to_assess", "final_plan"}
    # Without `recorded`, the tracker learned of it on the day of the import.
    from service.application import today_in_england

    assert app.facts("NS-2025-0002")[0].recorded == today_in_england()


def test_one_child_given_two_ways_rejects_the_second_case(data, tmp_path):
    header = "case_ref,child_local_id,type,on,requester,surname,forename,date_of_birth\n"
    first = _write(tmp_path, header + "A1,C9,request_received,2025-02-03,parent,Smith,Ava,"
                   "2019-01-22\n", "first.csv")
    assert _run(first, tmp_path)[0] == 0
    second = _write(tmp_path, header
                    + "B1,C9,request_received,2025-03-03,parent,Smith,Eva,2019-01-22\n"
                    + "C1,C9,request_received,2025-03-04,parent,Smith,Ava,2019-01-22\n",
                    "second.csv")
    code, lines = _run(second, tmp_path)
    assert code == 1
    assert [(line["case_ref"], line["rule"]) for line in lines] == [("B1", "contradiction")]
    from service.people import people_for

    people = people_for(_app())
    assert people.store.person_of("C1") == people.store.person_of("A1")
