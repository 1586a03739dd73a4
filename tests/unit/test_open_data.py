"""The open data files' cells (api/routes/open_data.py): a spreadsheet formula is defused, names come from the
jurisdiction, and a row holds the public record's fields only."""

from __future__ import annotations

import csv
import io

import pytest

from api.routes.open_data import CASE_COLUMNS, _csv, case_row, cell
from config.jurisdiction_file import load_jurisdiction
from config.settings import DEFAULT_JURISDICTION

pytestmark = pytest.mark.unit
J = load_jurisdiction(DEFAULT_JURISDICTION)


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"klik\")", "+62 812", "-1+1", "@SUM(A1)", "\tx"])
def test_a_cell_a_spreadsheet_would_run_is_defused(text):
    assert cell(text) == "'" + text
    (row,) = list(csv.reader(io.StringIO(_csv([[text, "biasa", None, 3]]))))
    assert row == ["'" + text, "biasa", "", "3"]


def test_a_case_row_names_its_codes_and_keeps_the_public_fields_only():
    record = {"tracking_id": "BKL-AAAAA-BBBBB", "status": "closed", "category": "jalan-jembatan",
              "agency": "PUPR-KOTA", "regency": "17.71", "district": "17.71.05", "channel": "web",
              "title": "Jalan berlubang", "description": "Lubang di depan [alamat].", "resolution": "Ditambal.",
              "submitted_at": "2026-11-02T01:00:00+00:00", "resolved_at": "2026-11-03T01:00:00+00:00",
              "closed_at": None, "rating": 5, "metrics": {"first_response_s": 3600, "resolution_s": 7200,
                                                          "response_met": 1, "resolution_met": 1},
              "timeline": [{"text": "internal?"}], "photos": ["0" * 32]}
    row = dict(zip(CASE_COLUMNS, case_row(record, J), strict=True))
    assert row["agency_name"] == "Dinas Pekerjaan Umum dan Penataan Ruang Kota Bengkulu"
    assert row["regency_name"] == "Kota Bengkulu" and row["district_name"] and row["category_name"]
    assert row["resolution_s"] == 7200 and row["closed_at"] is None
    assert "internal?" not in map(str, row.values()) and "0" * 32 not in map(str, row.values())
