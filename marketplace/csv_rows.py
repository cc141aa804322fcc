"""Reading uploaded CSV files row by row, with a per-row error report.

Imports (catalogue, purchasers to invite) work in two steps: a preview that validates every
row and shows what is wrong, then a confirmation that validates everything again on the
server (the database may have moved on) and writes only when every row is valid or the
person chose to import only the valid ones.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, ngettext

from gigcx.exceptions import ApplicationError

MAX_CSV_BYTES = 512 * 1024
MAX_CSV_ROWS = 2000


@dataclass
class CsvRow:
    line: int  # line number in the file, counting the header as line 1
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cleaned: dict[str, Any] = field(default_factory=dict)
    cells: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class CsvReport:
    columns: list[str]
    rows: list[CsvRow]

    def __post_init__(self) -> None:
        for row in self.rows:  # the values in column order, for report tables
            row.cells = [row.values.get(column, "") for column in self.columns]

    @property
    def valid_rows(self) -> list[CsvRow]:
        return [row for row in self.rows if row.ok]

    @property
    def error_rows(self) -> list[CsvRow]:
        return [row for row in self.rows if not row.ok]

    def as_json(self) -> dict[str, Any]:
        return {
            "total": len(self.rows),
            "valid": len(self.valid_rows),
            "invalid": len(self.error_rows),
            "rows": [
                {"line": r.line, "values": r.values, "errors": r.errors, "notes": r.notes}
                for r in self.rows
            ],
        }

    def error_fields(self) -> dict[str, list[str]]:
        return {f"line {row.line}": row.errors for row in self.error_rows}


def csv_decode(data: bytes | str) -> str:
    """Uploaded bytes to text; spreadsheets often save UTF-8 with a byte-order mark."""
    if isinstance(data, str):
        text = data
    else:
        if len(data) > MAX_CSV_BYTES:
            raise ApplicationError(
                gettext("The file is larger than %(value1)s KB; split it into parts.")
                % {"value1": MAX_CSV_BYTES // 1024},
                fields={"file": [gettext("File too large.")]},
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApplicationError(
                gettext(
                    "The file is not UTF-8 text; save it from your spreadsheet as 'CSV UTF-8'."
                ),
                fields={"file": [gettext("Not a UTF-8 CSV file.")]},
            ) from None
    if len(text.encode()) > MAX_CSV_BYTES:
        raise ApplicationError(
            gettext("The file is larger than %(value1)s KB; split it into parts.")
            % {"value1": MAX_CSV_BYTES // 1024},
            fields={"file": [gettext("File too large.")]},
        )
    return text


def csv_rows(text: str, *, required: list[str], optional: list[str]) -> list[CsvRow]:
    """Parse CSV text with a header line. Column names are case-insensitive.

    Raises ApplicationError for problems of the whole file (no header, missing or unknown
    columns, too many rows); row-level problems are left to the caller's validation.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise ApplicationError(
            gettext("The file is empty."), fields={"file": [gettext("The file is empty.")]}
        ) from None
    except csv.Error as exc:
        message = f"The file is not valid CSV: {exc}."
        raise ApplicationError(message, fields={"file": [message]}) from None
    columns = [name.strip().lower() for name in header]
    missing = [name for name in required if name not in columns]
    unknown = [name for name in columns if name and name not in required + optional]
    problems = []
    if missing:
        problems.append(gettext("missing column(s): %(value1)s") % {"value1": ", ".join(missing)})
    if unknown:
        problems.append(gettext("unknown column(s): %(value1)s") % {"value1": ", ".join(unknown)})
    if problems:
        expected = ", ".join(required + [f"{name} (optional)" for name in optional])
        message = f"The header line is not right ({'; '.join(problems)}). Expected: {expected}."
        raise ApplicationError(message, fields={"file": [message]})
    rows: list[CsvRow] = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue  # blank lines are common at the end of exported files
            if len(rows) >= MAX_CSV_ROWS:
                raise ApplicationError(
                    gettext("The file has more than %(MAX_CSV_ROWS)s rows; split it into parts.")
                    % {"MAX_CSV_ROWS": MAX_CSV_ROWS},
                    fields={"file": [gettext("Too many rows.")]},
                )
            row = CsvRow(line=reader.line_num, values={})
            if len(values) > len(columns):
                row.errors.append(
                    gettext("has %(value1)s values but the header has %(value3)s columns")
                    % {"value1": len(values), "value3": len(columns)}
                )
            for index, name in enumerate(columns):
                if name:
                    row.values[name] = values[index].strip() if index < len(values) else ""
            rows.append(row)
    except csv.Error as exc:
        message = f"The file is not valid CSV near line {reader.line_num}: {exc}."
        raise ApplicationError(message, fields={"file": [message]}) from None
    if not rows:
        raise ApplicationError(
            gettext("The file has a header but no rows."),
            fields={"file": [gettext("No rows to import.")]},
        )
    return rows


def import_guard(report: CsvReport, *, only_valid: bool, what: str) -> None:
    """Refuse to write anything from a file with errors unless only valid rows were asked for."""
    if report.error_rows and not only_valid:
        bad, good = len(report.error_rows), len(report.valid_rows)
        raise ApplicationError(
            ngettext(
                "%(bad)d row of the file has errors, so no %(what)s were imported.",
                "%(bad)d rows of the file have errors, so no %(what)s were imported.",
                bad,
            )
            % {"bad": bad, "what": what}
            + " "
            + ngettext(
                "Fix the file, or confirm importing only the %(good)d valid row.",
                "Fix the file, or confirm importing only the %(good)d valid rows.",
                good,
            )
            % {"good": good},
            code="rows_invalid",
            fields=report.error_fields(),
        )
    if not report.valid_rows:
        raise ApplicationError(
            gettext("No row of the file is valid, so no %(what)s were imported.") % {"what": what},
            code="rows_invalid",
            fields=report.error_fields(),
        )
