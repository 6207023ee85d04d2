"""The `ehc scenarios check` contract: output lines, counts and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli import main

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
title: Advice from health late, final plan on time
cases:
  - case: C1
    events:
      - {id: e1, type: request_received, on: 2025-02-03, requester: parent}
      - {type: decision_to_assess, on: 2025-03-10, outcome: assess}
      - {type: advice_requested, on: 2025-03-11, provider: health}
      - {type: advice_received, on: 2025-05-06, provider: health}
      - {type: draft_plan_issued, on: 2025-05-30}
      - {type: final_plan_issued, on: 2025-06-20}
    expect:
      as_of: 2025-07-01
      deadlines:
        decision_to_assess: {due: 2025-03-17, status: met}
        advice.health: {due: 2025-04-22, status: late, days_late: 14}
        final_plan: {due: 2025-06-23, status: met}
      breach_reasons: []
kpis:
  - measure: final_plans_within_20_weeks
    period: "2025"
    expect: {including_exceptions: "1/1", excluding_exceptions: "1/1"}
"""


def run(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(["scenarios", "check", *args])
    return code, capsys.readouterr().out.strip().splitlines()


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_contract_example_passes_every_expectation(tmp_path, capsys):
    code, lines = run(capsys, write(tmp_path, "good.yaml", GOOD))
    # 7 deadline fields + breach_reasons + 2 KPI values
    assert (code, lines) == (0, ["10 passed, 0 failed"])


def test_a_wrong_expectation_prints_the_fail_line_and_exits_1(tmp_path, capsys):
    path = write(tmp_path, "wrong.yaml", GOOD.replace(
        "final_plan: {due: 2025-06-23, status: met}", "final_plan: {due: 2025-06-23, status: late}"
    ).replace('excluding_exceptions: "1/1"', 'excluding_exceptions: "0/1"'))
    code, lines = run(capsys, path)
    assert code == 1
    assert lines == [
        f"FAIL {path} C1 deadlines.final_plan.status: expected late, got met",
        f"FAIL {path} kpis[0] final_plans_within_20_weeks 2025 excluding_exceptions: "
        "expected 0/1, got 1/1",
        "8 passed, 2 failed",
    ]


def test_refusals_marked_and_unmarked(tmp_path, capsys):
    text = GOOD.replace(
        "      - {type: final_plan_issued, on: 2025-06-20}\n",
        "      - {type: final_plan_issued, on: 2025-06-20}\n"
        "      - {type: final_plan_issued, on: 2025-06-21, expect_error: true}\n"
        "      - {type: mediation_held, on: 2025-06-22, about: other, expect_error: true}\n"
        "      - {type: draft_plan_issued, on: 2025-06-23}\n",
    )
    path = write(tmp_path, "refusals.yaml", text)
    code, lines = run(capsys, path)
    assert code == 1
    assert lines[0] == f"FAIL {path} C1 event 8 (mediation_held): expected refused, got accepted"
    assert lines[1].startswith(f"FAIL {path} C1 event 9 (draft_plan_issued): refused: ")
    assert "ended with final plan issued on 20 June 2025" in lines[1]
    assert lines[-1] == "11 passed, 2 failed"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda t: t.replace("title:", "titel:"), "unknown key titel"),
        (lambda t: t.replace("requester: parent", "requester: parent, reqester: x"),
         "unknown key reqester"),
        (lambda t: t.replace("on: 2025-05-30", "on: 2025-02-30"), "not a real YYYY-MM-DD date"),
        (lambda t: t.replace(", provider: health}\n      - {type: advice_received",
                             "}\n      - {type: advice_received"), "missing required key provider"),
        (lambda t: t.replace("cases:", "cases: [\n"), "not YAML"),
        (lambda t: t.replace('period: "2025"', "period: 2025"), "quoted string"),
        (lambda t: t.replace("status: met}", "statuss: met}"), "unknown key statuss"),
    ],
)
def test_an_invalid_file_exits_2_naming_the_problem_and_the_check_goes_on(
    tmp_path, capsys, change, problem
):
    bad = write(tmp_path, "a_bad.yaml", change(GOOD))
    write(tmp_path, "b_good.yaml", GOOD)
    code, lines = run(capsys, str(tmp_path))
    assert code == 2
    assert lines[0].startswith(f"INVALID {bad}: ")
    assert problem in lines[0]
    assert lines[-1] == "10 passed, 0 failed"  # the good file was still checked


def test_unknown_type_and_provider_refuse_the_event_not_the_file(tmp_path, capsys):
    text = GOOD.replace(
        "      - {type: draft_plan_issued, on: 2025-05-30}\n",
        "      - {type: plan_amended, on: 2025-05-29, expect_error: true}\n"
        "      - {type: advice_requested, on: 2025-05-29, provider: dentist, expect_error: true}\n"
        "      - {type: draft_plan_issued, on: 2025-05-30}\n",
    )
    code, lines = run(capsys, write(tmp_path, "unknown.yaml", text))
    assert (code, lines) == (0, ["12 passed, 0 failed"])


def test_on_is_a_key_not_a_boolean(tmp_path, capsys):
    # PyYAML would read `on:` as True; YAML 1.2 keeps it a string key.
    code, _ = run(capsys, write(tmp_path, "on.yaml", GOOD.replace("{", "{ ").replace("}", " }")))
    assert code == 0


def test_a_yaml_1_1_directive_does_not_turn_on_into_a_boolean(tmp_path, capsys):
    # The contract reads every file with the YAML 1.2 core schema, whatever the directive.
    plain = run(capsys, write(tmp_path, "plain.yaml", GOOD))
    directed = run(capsys, write(tmp_path, "v11.yaml", "%YAML 1.1\n---\n" + GOOD))
    assert directed == plain == (0, ["10 passed, 0 failed"])


def test_json_output(tmp_path, capsys):
    path = write(tmp_path, "good.yaml", GOOD)
    code = main(["scenarios", "check", "--json", path])
    report = json.loads(capsys.readouterr().out)
    assert (code, report["passed"], report["failed"]) == (0, 10, 0)
    assert report["files"][0]["path"] == path


def test_the_project_scenarios_pass_through_the_installed_command():
    command = Path(sys.executable).with_name("ehc")
    result = subprocess.run([str(command), "scenarios", "check", "scenarios"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    passed, failed = result.stdout.strip().splitlines()[-1].split(", ")
    assert int(passed.split()[0]) > 300 and failed == "0 failed"


def test_review_findings_stay_fixed(tmp_path, capsys):
    """A list where a value belongs refuses the event (no crash); `yes` is not `true`; a
    misspelt deadline key under expect makes the file invalid."""
    listed = GOOD.replace("{type: draft_plan_issued, on: 2025-05-30}",
                          "{type: [draft_plan_issued], on: 2025-05-29, expect_error: true}\n"
                          "      - {type: draft_plan_issued, on: 2025-05-30}")
    code, lines = run(capsys, write(tmp_path, "listed.yaml", listed))
    assert (code, lines[-1]) == (0, "11 passed, 0 failed")
    yes = GOOD.replace("{type: final_plan_issued, on: 2025-06-20}",
                       "{type: final_plan_issued, on: 2025-06-20, "
                       "family_confirmed_no_comments: yes, expect_error: true}\n"
                       "      - {type: final_plan_issued, on: 2025-06-20}")
    code, lines = run(capsys, write(tmp_path, "yes.yaml", yes))
    assert (code, lines[-1]) == (0, "11 passed, 0 failed")
    typo = GOOD.replace("final_plan: {due:", "final_plann: {due:")
    code, lines = run(capsys, write(tmp_path, "typo.yaml", typo))
    assert code == 2 and "unknown key final_plann" in lines[0]
