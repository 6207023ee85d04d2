"""Reading an import file: CSV (UTF-8, with or without a BOM) or XLSX, as rows of text.

A cell is always taken as the text it holds: an XLSX formula (`=HYPERLINK(...)`) is read as
its formula text, never evaluated, and a CSV cell is never interpreted. Files over the size
limit, empty files and files that are neither CSV nor XLSX are refused before any row is read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from projections.files import csv_cell

__all__ = ["csv_cell"]

MAX_FILE_BYTES = 150 * 1024 * 1024  # 150 MiB: a county's full history fits in well under it
XLSX_MAGIC = b"PK\x03\x04"


class FileRefused(Exception):
    """The file as a whole cannot be read: nothing of it is imported."""


@dataclass(frozen=True)
class Table:
    """A file's header and its rows (numbered as a spreadsheet shows them: the header is 1)."""

    name: str
    header: tuple[str, ...]
    rows: Iterator[tuple[int, tuple[str, ...]]]


def open_table(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Table:
    """The rows of a CSV or XLSX file, or FileRefused saying why not."""
    if not path.is_file():
        raise FileRefused(f"{path.name}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise FileRefused(f"{path.name}: the file is empty")
    if size > max_bytes:
        raise FileRefused(f"{path.name}: the file is {size / 1048576:.0f} MB; the limit is "
                          f"{max_bytes / 1048576:.0f} MB: split it into several files")
    with path.open("rb") as handle:
        start = handle.read(4096)
    if start.startswith(XLSX_MAGIC):
        return _xlsx(path)
    if path.suffix.lower() not in (".csv", ".txt", "") or b"\x00" in start:
        raise FileRefused(f"{path.name}: not a CSV or XLSX file")
    return _csv(path)


def _csv(path: Path) -> Table:
    handle = path.open(newline="", encoding="utf-8-sig")
    reader = csv.reader(handle)
    try:
        header = tuple(cell.strip() for cell in next(reader, []))
    except UnicodeDecodeError:
        handle.close()
        raise FileRefused(f"{path.name}: not a CSV file in UTF-8 (save it as \"CSV UTF-8\")"
                          ) from None
    except csv.Error as error:
        handle.close()
        raise FileRefused(f"{path.name}: not a readable CSV file ({error})") from None
    if not any(header):
        raise FileRefused(f"{path.name}: the file has no header row")

    def rows() -> Iterator[tuple[int, tuple[str, ...]]]:
        try:
            for number, cells in enumerate(reader, start=2):
                if any(cell.strip() for cell in cells):
                    yield number, tuple(cells)
        except UnicodeDecodeError:
            raise FileRefused(f"{path.name}: not a CSV file in UTF-8") from None
        except csv.Error as error:
            raise FileRefused(f"{path.name}: not a readable CSV file, line "
                              f"{reader.line_num} ({error})") from None
        finally:
            handle.close()

    return Table(path.name, header, rows())


def _xlsx(path: Path) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    handle = path.open("rb")  # a file object: openpyxl then ignores the name's extension
    try:
        # data_only=False: a formula stays its text; read_only streams the sheet.
        book = load_workbook(handle, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, InvalidFileException) as error:
        handle.close()
        raise FileRefused(f"{path.name}: not a readable XLSX workbook ({error})") from None
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = tuple(_text(cell).strip() for cell in next(lines, ()) or ())
    if not any(header):
        book.close()
        handle.close()
        raise FileRefused(f"{path.name}: the first sheet has no header row")

    def rows() -> Iterator[tuple[int, tuple[str, ...]]]:
        try:
            for number, cells in enumerate(lines, start=2):
                texts = tuple(_text(cell) for cell in cells)
                if any(text.strip() for text in texts):
                    yield number, texts
        finally:
            book.close()
            handle.close()

    return Table(path.name, header, rows())


def _text(cell: object) -> str:
    """A cell as text: dates as YYYY-MM-DD, whole numbers without ".0", formulas as typed."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def read_text(data: bytes) -> Iterator[list[str]]:
    """CSV rows from bytes (tests, small uploads)."""
    return csv.reader(io.StringIO(data.decode("utf-8-sig")))
