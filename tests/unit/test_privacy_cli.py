"""The privacy commands' pure parts and their refusals without a stack: the export's content built from a case
(aduan/privacy.py), `aduan audit list`, and plain errors for a bad tracking id or an unreachable
Elasticsearch. The commands on the real stack: tests/integration/test_privacy.py."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from typer.testing import CliRunner

from aduan.cli import cli
from aduan.privacy import build_export
from api.accounts.audit import AuditLog
from api.photos import PhotoStore
from config.settings import Settings
from domain import events as ev
from domain.case import CITIZEN, apply, submission_event
from domain.complaint import Complaint, Reporter
from domain.events import Actor

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
OFFICER = Actor(role="officer", id="budi", agency="PUPR-KOTA")


def closed_case(photo_id: str):
    complaint = Complaint(category="jalan-jembatan", regency="17.71", district="17.71.05", address="Jl. Salak 3",
                          lat=-3.79, lon=102.26, description="Jalan berlubang di depan pasar, sudah ada yang jatuh.",
                          reporter=Reporter(name="Wulan Sari", phone="081273009876", email="wulan@example.org"),
                          attributes={"jenis_kerusakan": "berlubang"}, photos=(photo_id,))
    steps = [(ev.CASE_ROUTED, Actor(role="system", id="router"), {"agency": "PUPR-KOTA"}),
             (ev.CASE_INFO_REQUESTED, OFFICER, {"question": "Nomor rumah berapa?"}),
             (ev.CITIZEN_REPLIED, CITIZEN, {"message": "Depan rumah nomor 12."}),
             (ev.CASE_NOTE_ADDED, OFFICER, {"text": "Catatan internal petugas."}),
             (ev.CASE_RESOLVED, OFFICER, {"resolution": "Sudah ditambal."}),
             (ev.CASE_CLOSED, CITIZEN, {"rating": 5, "comment": "Cepat sekali, terima kasih."})]
    case = apply(None, submission_event("BKL-AAAAA-00001", complaint, T0))
    for seq, (kind, actor, payload) in enumerate(steps, start=2):
        case = apply(case, ev.new_event(case.case_id, seq, kind, T0 + timedelta(hours=seq), actor, **payload))
    return case


def test_the_export_holds_the_complaint_the_reporters_texts_photos_and_audit_each_with_its_source(tmp_path):
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(image, "PNG")
    photos = PhotoStore(tmp_path)
    stored = photos.save("BKL-AAAAA-00001", image.getvalue())
    case = closed_case(stored.photo_id)
    where = {"index": "cases", "concrete_index": "cases-v1", "document": case.case_id}
    audit = [{"id": 1, "action": "privacy.view_contact", "actor": "budi"}]
    export = build_export(case, where, True, Settings(), photos, audit, "admin", T0 + timedelta(days=9))
    assert export["tracking_id"] == "BKL-AAAAA-00001" and export["exported_by"] == "admin"
    complaint = export["complaint"]
    assert complaint["reporter"] == {"name": "Wulan Sari", "phone": "081273009876", "email": "wulan@example.org"}
    assert (complaint["address"], complaint["lat"], complaint["lon"]) == ("Jl. Salak 3", -3.79, 102.26)
    assert complaint["attributes"] == {"jenis_kerusakan": "berlubang"} and complaint["description"].startswith("Jalan")
    assert [(t["type"], t["text"]) for t in export["citizen_texts"]["items"]] == [
        ("citizen.replied", "Depan rumah nomor 12."), ("case.closed", "Cepat sekali, terima kasih.")]
    assert "Catatan internal" not in json.dumps(export)  # the agency's own notes are not the reporter's data
    assert export["case"]["rating_comment"] == "Cepat sekali, terima kasih."
    assert export["photos"]["items"] == [{"photo_id": stored.photo_id, "stored": True, "size_bytes": stored.size_bytes,
                                          "path": str(tmp_path / "BKL-AAAAA-00001" / f"{stored.photo_id}.jpg")}]
    assert export["audit"]["items"] == audit
    for part in ("complaint", "case", "citizen_texts", "photos", "audit"):
        assert export[part]["source"], part
    assert "cases (cases-v1) document BKL-AAAAA-00001" in export["complaint"]["source"]
    assert "holds this case's public record" in export["elsewhere"][1]
    json.dumps(export)  # all of it is JSON


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("ADUAN_DATABASE_URL", f"sqlite:///{tmp_path}/accounts.db")
    monkeypatch.setenv("ADUAN_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("ADUAN_ES_URL", "http://127.0.0.1:9")  # nothing listens there
    return tmp_path


def test_audit_list_prints_the_entries_newest_first_as_json_or_a_table(env):
    audit = AuditLog.from_settings(Settings())
    audit.record("budi", "privacy.view_contact", "BKL-AAAAA-00001", detail="api", now=T0)
    audit.record("sari", "privacy.view_photo", "BKL-BBBBB-00002", detail="photo x via page", now=T0)
    audit.record("root", "privacy.export", "BKL-AAAAA-00001", reason="permintaan 4", now=T0)
    audit.close()
    runner = CliRunner()
    listed = runner.invoke(cli, ["audit", "list", "--case", "bkl-aaaaa-ooooi", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [(e["actor"], e["action"]) for e in json.loads(listed.stdout)] == [
        ("root", "privacy.export"), ("budi", "privacy.view_contact")]
    only = json.loads(runner.invoke(cli, ["audit", "list", "--user", "sari", "--json"]).stdout)
    assert [e["case_id"] for e in only] == ["BKL-BBBBB-00002"]
    assert json.loads(runner.invoke(cli, ["audit", "list", "--action", "privacy.export", "--limit", "1",
                                          "--json"]).stdout)[0]["reason"] == "permintaan 4"
    table = runner.invoke(cli, ["audit", "list"]).stdout.splitlines()
    assert table[0].startswith("when (UTC)") and "privacy.export" in table[1] and len(table) == 4
    assert runner.invoke(cli, ["audit", "list", "--case", "not-an-id"]).exit_code == 1
    assert runner.invoke(cli, ["audit", "list", "--action", "privacy.peek"]).exit_code == 2


def test_an_export_says_plainly_what_went_wrong_and_prints_no_json(env):
    runner = CliRunner()
    bad = runner.invoke(cli, ["privacy", "export", "nonsense"])
    assert bad.exit_code == 1 and bad.stdout == "" and "not a tracking id" in bad.stderr
    down = runner.invoke(cli, ["privacy", "export", "BKL-AAAAA-00001", "--reason", "uji"])
    assert down.exit_code == 1 and down.stdout == ""
    assert "Elasticsearch is not reachable at http://127.0.0.1:9" in down.stderr
    audit = AuditLog.from_settings(Settings())
    assert audit.entries() == []  # nothing handed out, nothing recorded
    audit.close()


def test_the_sweep_refuses_without_the_index_and_deletes_nothing(env):
    orphan = env / "media" / "BKL-AAAAA-00001"
    orphan.mkdir(parents=True)
    (orphan / f"{'a' * 32}.jpg").write_bytes(b"x")
    import os
    os.utime(orphan / f"{'a' * 32}.jpg", (0, 0))
    os.utime(orphan, (0, 0))
    swept = CliRunner().invoke(cli, ["privacy", "sweep-photos"])
    assert swept.exit_code == 1 and "sweep refused" in swept.stderr and "no photo deleted" in swept.stderr
    assert orphan.is_dir()


@pytest.mark.parametrize("args", [["audit"], ["audit", "list"], ["privacy"], ["privacy", "export"],
                                  ["privacy", "sweep-photos"]])
def test_the_privacy_commands_have_help(args):
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_an_export_file_is_new_and_never_follows_a_link(tmp_path):
    from aduan.privacy import write_private

    out = tmp_path / "export.json"
    write_private(out, "{}")
    assert (out.stat().st_mode & 0o777) == 0o600 and out.read_text() == "{}"
    with pytest.raises(FileExistsError):
        write_private(out, "{}")  # never overwritten
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    (tmp_path / "link.json").symlink_to(target)
    with pytest.raises(FileExistsError):
        write_private(tmp_path / "link.json", "{}")
    assert target.read_text() == "keep"
