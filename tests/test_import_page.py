"""The managers' import page in Chromium: upload the worked example, get the report back;
a check stores nothing; the others cannot import; the upload has its own size limit while
every other body keeps 64 KiB."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from browser import (
    axe_violations,
    chromium,
    code_names,
    open_page,
    readable_text,
    screenshot,
)

from service.local_server import LocalServer
from service.settings import StoreSettings
from service.stores import open_application
from service.tokens import TokenStore

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "import-template.xlsx"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("import-page") / "data"
    open_application(StoreSettings(data_dir=data))
    store = TokenStore(data / "tokens.json")
    tokens = {"manager": store.add("manager", "Head of SEN"),
              "caseworker": store.add("caseworker", "Amina Shah", "North"),
              "board": store.add("board", "Partnership Board")}
    with (data / "server.log").open("w") as log:
        server = LocalServer({"EHC_DATA_DIR": str(data), "EHC_STORE": "sqlite"}, workers=1,
                             log=log).start()
        yield server.base, tokens, data
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as opened:
        yield opened


def _signed_in(browser, base: str, token: str):
    page = open_page(browser)
    page.goto(f"{base}/app/sign-in")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")
    return page


def test_a_manager_checks_then_imports_a_file_and_gets_the_report(site, browser):
    base, tokens, _ = site
    page = _signed_in(browser, base, tokens["manager"])
    page.click("a:has-text('Import')")
    assert page.locator("h1").inner_text() == "Import cases"
    assert axe_violations(page) == []
    screenshot(page, "manager-import")
    page.set_input_files("#file", str(EXAMPLE))
    page.check("input[name=dry_run]")
    page.click("button:has-text('Import')")
    assert "nothing was stored" in page.locator("h1").inner_text()
    page.click("a:has-text('Import another file')")
    page.set_input_files("#file", str(EXAMPLE))
    page.click("button:has-text('Import')")
    summary = page.locator(".govuk-summary-list").inner_text()
    assert "14 rows (4 cases)" in summary
    assert axe_violations(page) == []
    screenshot(page, "manager-import-report")
    with page.expect_download() as download:
        page.click("a:has-text('Download the report')")
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert report.startswith("file,row,case_ref,status,column,value,rule,source,message")
    assert "total,imported,14" in report
    # The same file again: nothing new.
    page.goto(f"{base}/app/import")
    page.set_input_files("#file", str(EXAMPLE))
    page.click("button:has-text('Import')")
    assert "14 rows" in page.locator(".govuk-summary-list__row", has_text="Already present"
                                     ).inner_text()
    # An imported case with steps its record lacks says so, in words, with its source.
    page.goto(f"{base}/app/cases/NS-2024-0311")
    text = readable_text(page)
    assert "Not recorded: who made the request" in text
    assert "Not recorded: the draft plan" in text
    screenshot(page, "manager-imported-case")
    assert code_names(text) == []
    assert axe_violations(page) == []
    assert page.problems == []


def test_a_file_of_the_wrong_kind_is_an_error_on_the_page(site, browser, tmp_path):
    base, tokens, _ = site
    page = _signed_in(browser, base, tokens["manager"])
    page.goto(f"{base}/app/import")
    bad = tmp_path / "notes.txt"
    bad.write_text("hello", encoding="utf-8")
    page.set_input_files("#file", str(bad))
    page.click("button:has-text('Import')")
    assert "The file must be .csv or .xlsx" in page.locator(".govuk-error-summary").inner_text()
    assert axe_violations(page) == []
    screenshot(page, "manager-import-error")


@pytest.mark.parametrize("role", ["caseworker", "board"])
def test_others_cannot_import(site, browser, role):
    base, tokens, _ = site
    page = _signed_in(browser, base, tokens[role])
    response = page.goto(f"{base}/app/import")
    assert response.status in (403, 404)
    assert page.locator("a:has-text('Import')").count() == 0


def _declared_only(base: str, length: int) -> bytes:
    """The server's answer to a POST that declares `length` bytes and sends none."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"POST /app/import HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: {base}\r\n"
            f"Content-Length: {length}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n\r\n".encode())
        return connection.recv(200)


def test_the_upload_limit_is_its_own(site):
    base, tokens, _ = site
    assert _declared_only(base, 200 * 1024 * 1024).startswith(b"HTTP/1.1 413")
    with httpx.Client(base_url=base, headers={"Origin": base}) as client:
        # 100 KiB is fine for the upload (here refused for its form, not its size) ...
        answer = client.post("/app/import", content=b"x" * 100_000,
                             headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert answer.status_code != 413
        # ... but not for any other route.
        answer = client.post("/cases", content=b"x" * 100_000,
                             headers={"Authorization": f"Bearer {tokens['manager']}",
                                      "Content-Type": "application/json"})
        assert answer.status_code == 413


def test_the_api_imports_a_file_for_managers_only(site):
    base, tokens, _ = site
    csv_example = EXAMPLE.with_suffix(".csv")
    with httpx.Client(base_url=base, timeout=60) as client:
        def post(role: str, **params: str) -> httpx.Response:
            return client.post("/imports/events", params=params,
                               content=csv_example.read_bytes(),
                               headers={"Authorization": f"Bearer {tokens[role]}",
                                        "Content-Type": "text/csv"})

        assert post("caseworker", name="extract.csv").status_code == 403
        assert post("board", name="extract.csv").status_code == 403
        checked = post("manager", name="extract.csv", dry_run="true")
        assert checked.status_code == 200
        assert checked.json()["dry_run"] is True
        refused = post("manager", name="extract.pdf")
        assert refused.status_code == 422 and refused.json()["rule"] == "import_refused"
        done = post("manager", name="extract.csv").json()
        assert done["imported"] + done["already_present"] == 14 and done["rejected"] == 0


def test_reports_are_kept_a_day_then_removed(tmp_path):
    """A report can quote a child's details: the page keeps it a day for download, no more."""
    import os

    from service.web.import_pages import REPORT_KEPT_S, remove_old_reports

    old, new = tmp_path / "0123456789abcdef", tmp_path / "fedcba9876543210"
    for run in (old, new):
        run.mkdir()
        (run / "report.csv").write_text("file,row\n")
    now = new.stat().st_mtime
    os.utime(old, (now - REPORT_KEPT_S - 1, now - REPORT_KEPT_S - 1))
    assert remove_old_reports(tmp_path, now) == [old.name]
    assert not old.exists() and (new / "report.csv").exists()


def test_the_page_offers_the_events_template(site, browser):
    base, tokens, _ = site
    page = _signed_in(browser, base, tokens["manager"])
    page.goto(f"{base}/app/import")
    with page.expect_download() as download:
        page.click("a:has-text('events template (Excel workbook)')")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # an .xlsx is a zip
    with page.expect_download() as download:
        page.click("a:has-text('events template (CSV)')")
    assert Path(download.value.path()).read_text(encoding="utf-8").startswith("case_ref,")
    assert httpx.get(f"{base}/app/import/template/import-template.csv").status_code != 200
