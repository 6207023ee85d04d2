"""The `ehc` commands refuse what they cannot do with one clear line and exit 2, never a
traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.cli import main

PLAN = str(Path(__file__).resolve().parents[1] / "examples" / "action-plan.yaml")


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("EHC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EHC_STORE", "sqlite")
    return tmp_path / "data"


def test_demo_generate_twice_on_the_same_store_says_so(data, capsys):
    assert main(["demo", "generate", "--cases", "5", "--seed", "4"]) == 0
    assert main(["demo", "generate", "--cases", "5", "--seed", "4"]) == 2
    assert "already holds the demo authority of seed 4" in capsys.readouterr().err
    assert main(["demo", "generate", "--cases", "5", "--seed", "5"]) == 0


def test_a_board_pack_for_a_period_before_the_plan_says_so(data, tmp_path, capsys):
    code = main(["board-pack", "--plan", PLAN, "--period", "2024-Q1",
                 "--out", str(tmp_path / "pack")])
    assert code == 2
    assert "ends before the plan starts on 2025-04-01" in capsys.readouterr().err


def test_a_caseworker_token_without_a_team_is_refused(data, capsys):
    assert main(["tokens", "add", "--role", "caseworker", "--name", "Nobody"]) == 2
    assert "needs a team" in capsys.readouterr().err
