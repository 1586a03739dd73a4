"""The audit trail's store (api/accounts/audit.py): rows are added and read back newest first, filtered; the
store offers no way to change or remove one, and the database refuses it too."""

import ast
import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect as schema
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

import api.accounts.audit as audit_module
from api.accounts.audit import ACTIONS, ERASE, EXPORT, VIEW_CONTACT, VIEW_PHOTO, AuditLog, AuditRecord
from api.accounts.store import engine_for, migrate

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def audit(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/accounts.db")
    migrate(engine)
    log = AuditLog(engine, owns_engine=True)
    yield log
    log.close()


def test_the_migration_makes_the_table_and_its_indexes(audit):
    assert "audit_log" in schema(audit.engine).get_table_names()
    columns = {c["name"] for c in schema(audit.engine).get_columns("audit_log")}
    assert columns == {"id", "at", "actor", "action", "case_id", "reason", "detail"}
    assert {i["name"] for i in schema(audit.engine).get_indexes("audit_log")} >= {
        "ix_audit_log_case_id", "ix_audit_log_actor", "ix_audit_log_action", "ix_audit_log_at"}
    migrate(audit.engine)  # again: nothing changes


def test_rows_come_back_newest_first_and_filtered(audit):
    audit.record("budi", VIEW_CONTACT, "BKL-AAAAA-11111", detail="api", now=T0)
    audit.record("budi", VIEW_PHOTO, "BKL-AAAAA-11111", detail="photo ab via page", now=T0 + timedelta(seconds=1))
    audit.record("sari", VIEW_CONTACT, "BKL-BBBBB-22222", detail="page", now=T0 + timedelta(seconds=2))
    audit.record("os:root", EXPORT, "BKL-AAAAA-11111", reason="permintaan no. 7", now=T0 + timedelta(seconds=3))
    everything = audit.entries()
    assert [e.action for e in everything] == [EXPORT, VIEW_CONTACT, VIEW_PHOTO, VIEW_CONTACT]
    assert everything[0] == AuditRecord(id=4, at=T0 + timedelta(seconds=3), actor="os:root", action=EXPORT,
                                        case_id="BKL-AAAAA-11111", reason="permintaan no. 7", detail=None)
    assert everything[0].at.tzinfo is not None
    assert [e.id for e in audit.entries(case_id="BKL-AAAAA-11111")] == [4, 2, 1]
    assert [e.id for e in audit.entries(actor="budi")] == [2, 1]
    assert [e.id for e in audit.entries(action=VIEW_CONTACT)] == [3, 1]
    assert [e.id for e in audit.entries(actor="budi", action=VIEW_PHOTO)] == [2]
    assert [e.id for e in audit.entries(limit=2)] == [4, 3]
    assert [e.id for e in audit.entries(limit=2, before_id=3)] == [2, 1]
    assert everything[0].as_json()["at"] == "2026-03-02T01:00:03+00:00"


def test_an_unknown_action_or_no_actor_is_refused(audit):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("budi", "privacy.peek", "BKL-AAAAA-11111")
    for actor in ("", "   ", "x" * 65, "budi\nadmin"):
        with pytest.raises(ValueError, match="actor"):
            audit.record(actor, VIEW_CONTACT, "BKL-AAAAA-11111")
    assert audit.entries() == []
    assert set(ACTIONS) == {"privacy.view_contact", "privacy.view_photo", "privacy.export", "privacy.erase"}


def test_a_reason_is_kept_on_one_line_and_capped(audit):
    audit.record("admin", ERASE, "BKL-AAAAA-11111", reason="permintaan\nno. 7\t\r" + "x" * 600)
    (entry,) = audit.entries()
    assert "\n" not in entry.reason and entry.reason.startswith("permintaan no. 7 x")
    assert len(entry.reason) == 500 and entry.reason.endswith("…")


def test_the_store_offers_no_way_to_change_or_remove_a_row():
    public = {name for name, _ in inspect.getmembers(AuditLog) if not name.startswith("_")}
    assert public == {"from_settings", "close", "record", "entries"}
    # Nor does its code name a way to (an UPDATE, a DELETE, raw SQL, a session that could flush a change).
    tree = ast.parse(Path(audit_module.__file__).read_text())
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
        {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | \
        {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not names & {"update", "delete", "text", "Session", "sessionmaker", "merge", "execute_sql"}
    # Rows handed out are frozen copies.
    record = AuditRecord(1, T0, "budi", VIEW_CONTACT, None, None, None)
    with pytest.raises(AttributeError):
        record.actor = "sari"  # type: ignore[misc]


def test_the_database_refuses_updates_and_deletes(audit):
    audit.record("budi", VIEW_CONTACT, "BKL-AAAAA-11111", detail="api", now=T0)
    for statement in ("UPDATE audit_log SET actor = 'sari'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), audit.engine.begin() as connection:
            connection.execute(text(statement))
    assert [(e.actor, e.action) for e in audit.entries()] == [("budi", VIEW_CONTACT)]


def test_from_settings_opens_and_migrates_the_accounts_database(tmp_path):
    class Settings:
        database_url = f"sqlite:///{tmp_path}/other.db"

    log = AuditLog.from_settings(Settings())
    try:
        log.record("os:root", EXPORT, "BKL-AAAAA-11111", reason="uji")
        assert [e.reason for e in log.entries(case_id="BKL-AAAAA-11111")] == ["uji"]
    finally:
        log.close()
