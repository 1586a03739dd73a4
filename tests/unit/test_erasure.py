"""Erasure of a case's personal data (domain/erasure.py, producers/sealing.py): the case agent's live state and a
state rebuilt from the log after the key is gone are the same; neither holds a personal value; the public record
and the performance figures stay as they were."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from domain import events as ev
from domain.case import Case, Status, apply, replay, submission_event
from domain.commands import Command
from domain.complaint import Complaint, Reporter
from domain.erasure import ERASED
from domain.events import Actor
from domain.lifecycle import allowed_actions, decide, decide_submission
from domain.public import public_record, public_texts
from domain.sla import case_metrics
from producers.sealing import KeyErased, MemoryDataKeys, Sealer
from tests.unit.test_lifecycle import CASE_ID, CITIZEN, COORDINATOR, FIELDS, OFFICER, STEP, T0, J, cmd

pytestmark = pytest.mark.unit
command = TypeAdapter(Command).validate_python
ADMIN = Actor(role="admin", id="admin")
NAME, PHONE, EMAIL = "Siti Rahmawati", "+62 812 3456 7890", "siti.rahma@contoh.id"
ADDRESS, DESCRIPTION = "Jl. Merpati No. 9", "Lampu jalan di depan rumah Bu Siti Rahmawati mati sejak seminggu."
PERSONAL = (NAME, PHONE, EMAIL, ADDRESS, "Merpati", "1771010101010001", "-3.79", "102.26", "Rahmawati")


def full_complaint() -> Complaint:
    return Complaint(category="jalan-jembatan", title="Lampu mati di Jl. Merpati", description=DESCRIPTION,
                     regency="17.71", district="17.71.01", address=ADDRESS, lat=-3.7912, lon=102.2634,
                     reporter=Reporter(name=NAME, phone=PHONE, email=EMAIL), attributes={"nik": "1771010101010001"},
                     photos=("0" * 32,))


class Agent:
    """The case agent's round trip in miniature: commands sealed by the API and opened here, the state kept
    sealed between commands, every event sealed on its way to the log."""

    def __init__(self) -> None:
        self.keys = MemoryDataKeys()
        self.sealer = Sealer(self.keys)
        self.log: list[bytes] = []
        self.stored: dict | None = None

    def state(self) -> Case | None:
        return Case.model_validate(self.sealer.open_state(self.stored)) if self.stored else None

    def submit(self, complaint: Complaint) -> Case:
        submitted = orjson.loads(self.sealer.event_bytes(submission_event(CASE_ID, complaint, T0)))
        return self._record(decide_submission(None, self.sealer.event_from(orjson.dumps(submitted)), J, T0))

    def send(self, c, now) -> Case:
        opened = command(self.sealer.open_command(orjson.loads(self.sealer.command_bytes(c))))
        return self._record(decide(self.state(), opened, J, now))

    def _record(self, events) -> Case:
        case = self.state()
        for event in events:
            case = apply(case, event)
            self.log.append(self.sealer.event_bytes(event))
        self.stored = self.sealer.seal_state(case.model_dump(mode="json"))
        return case

    def rebuilt(self) -> Case:
        return replay([self.sealer.event_from(value) for value in self.log])


def erase(agent: Agent, now, n: int = 900) -> Case:
    assert agent.keys.erase(CASE_ID) is True
    return agent.send(cmd(n, "erase_personal_data", ADMIN, basis="request"), now)


def texts_of(case: Case) -> list[str]:
    c = case.complaint
    found = [c.title, c.description, c.address, case.resolution, case.rating_comment, case.rejection_reason,
             case.refer_to, *(t.text for t in case.timeline), *c.attributes.values(), c.reporter.name,
             c.reporter.phone, c.reporter.email]
    return [t for t in found if t is not None]


def closed_case() -> tuple[Agent, Case]:
    agent = Agent()
    agent.submit(full_complaint())
    for n, (kind, actor, fields) in enumerate([
        ("acknowledge", OFFICER, {}),
        ("reply", OFFICER, {"message": f"Baik Bu {NAME}, kami cek ke {ADDRESS}."}),
        ("request_info", OFFICER, {"question": "Tiang nomor berapa?"}),
        ("citizen_reply", CITIZEN, {"message": f"Tiang 12, telepon saya {PHONE}"}),
        ("add_note", OFFICER, {"text": f"Pelapor {NAME} minta dikabari"}),
        ("resolve", OFFICER, {"resolution": f"Lampu di {ADDRESS} sudah diganti."}),
        ("accept", CITIZEN, {"rating": 4, "comment": f"Terima kasih, {NAME}"}),
    ]):
        case = agent.send(cmd(n, kind, actor, **fields), T0 + timedelta(hours=n))
    assert case.status is Status.CLOSED
    return agent, case


def test_an_erased_case_holds_no_personal_value_and_a_rebuild_gives_the_same_state():
    agent, before = closed_case()
    after = erase(agent, T0 + timedelta(days=800))
    assert after.erased_at is not None and after.timeline[-1].type == ev.CASE_PERSONAL_DATA_ERASED
    assert not [p for p in PERSONAL if p in after.model_dump_json(exclude={"published_text"})]
    # The public texts stay: scrubbed, as the public record showed them (a street named as the place of the
    # problem is no one's address; the redaction benchmark measures the scrubber).
    assert not [p for p in (NAME, PHONE, EMAIL, ADDRESS, "Rahmawati") if p in after.published_text.model_dump_json()]
    assert set(texts_of(after)) == {ERASED}
    c = after.complaint
    assert (c.reporter, c.lat, c.lon, c.attributes, c.media_url, c.photos) == (Reporter(), None, None, {}, None, ())
    # What is no personal data stays.
    assert (after.status, after.agency, after.rating, after.submitted_at, after.closed_at, c.category, c.district) \
        == (before.status, before.agency, before.rating, before.submitted_at, before.closed_at, "jalan-jembatan",
            "17.71.01")
    assert agent.rebuilt() == after == agent.state()


def test_the_public_record_and_the_performance_figures_outlive_the_erasure():
    agent, before = closed_case()
    now = T0 + timedelta(days=800)
    public_before = public_record(before, J, now)
    assert public_before["description"] and "Rahmawati" not in orjson.dumps(public_before).decode()
    after = erase(agent, now)
    assert public_record(after, J, now) == public_before == public_record(agent.rebuilt(), J, now)
    assert case_metrics(after, J) == case_metrics(before, J)
    # The public texts are in the resolution's event in clear; the originals only sealed.
    resolved = next(orjson.loads(v) for v in agent.log if orjson.loads(v)["type"] == ev.CASE_RESOLVED)
    assert resolved["payload"]["public"]["description"] == public_before["description"]
    assert ADDRESS not in orjson.dumps(resolved).decode()


def test_what_comes_after_the_erasure_is_erased_as_it_comes_and_nothing_is_sealed_under_the_old_key():
    agent, _ = closed_case()
    erase(agent, T0 + timedelta(days=800))
    case = agent.send(cmd(950, "add_note", OFFICER, text=f"Telepon {PHONE} lagi"), T0 + timedelta(days=801))
    assert case.timeline[-1].text == ERASED
    last = orjson.loads(agent.log[-1])
    assert last["payload"]["sealed"] == {"v": 1, "f": ["text"], "x": 1}  # no ciphertext at all
    assert agent.rebuilt() == case == agent.state()
    with pytest.raises(KeyErased):
        agent.keys.key_for(CASE_ID, create=True)  # never made again


def test_an_erasure_is_for_administrators_once_and_never_offered_in_the_workspace():
    agent, _ = closed_case()
    refused = agent.send(cmd(901, "erase_personal_data", COORDINATOR, basis="request"), T0 + timedelta(days=800))
    assert refused.timeline[-1].type == ev.COMMAND_REJECTED and refused.erased_at is None
    case = erase(agent, T0 + timedelta(days=800))
    again = agent.send(cmd(902, "erase_personal_data", Actor(role="system", id="retention"), basis="retention"),
                       T0 + timedelta(days=801))
    assert again.timeline[-1].type == ev.COMMAND_REJECTED and again.erased_at == case.erased_at
    assert "erase_personal_data" not in allowed_actions(case, ADMIN)
    assert "erase_personal_data" not in allowed_actions(case, COORDINATOR)


def test_a_repeat_of_an_erased_cases_submission_changes_nothing():
    agent, _ = closed_case()
    case = erase(agent, T0 + timedelta(days=800))
    repeat = agent.sealer.event_from(agent.sealer.event_bytes(submission_event(CASE_ID, full_complaint(), T0)))
    assert repeat.payload["complaint"]["description"] == ERASED  # sealed under no key: its fields are gone
    assert decide_submission(case, repeat, J, T0) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=1, max_size=14), st.integers(0, 14), st.lists(STEP, max_size=4))
def test_erased_at_any_point_the_live_state_and_the_rebuilt_one_agree(steps, at, later):
    agent = Agent()
    agent.submit(full_complaint())
    now = T0
    erased_now = None
    for n, (kind, actor, days, data) in enumerate(steps):
        if n == min(at, len(steps) - 1):
            before = agent.state()
            erased_now = erase(agent, now, n=800 + n)
            if before.status in (Status.RESOLVED, Status.CLOSED):
                assert public_record(erased_now, J, now) == public_record(before, J, now)
            assert case_metrics(erased_now, J) == case_metrics(before, J)
        now = now + timedelta(days=days)
        agent.send(cmd(n, kind, actor, **data.draw(FIELDS[kind])), now)
    for n, (kind, actor, days, data) in enumerate(later, start=100):
        agent.send(cmd(n, kind, actor, **data.draw(FIELDS[kind])), now)
    case = agent.state()
    assert erased_now is not None and case.erased_at == erased_now.erased_at
    assert set(texts_of(case)) <= {ERASED}
    assert not [p for p in PERSONAL if p in case.model_dump_json(exclude={"published_text"})]
    assert agent.rebuilt() == case


def legacy_bytes(sealer: Sealer, event) -> bytes:
    """An event as the sealer of 2026-12-04 wrote it: every text field sealed, None ones too, and no names."""
    data = event.model_dump(mode="json")
    payload = dict(data["payload"])
    texts = {n: payload.pop(n) for n in ("text", "message", "question", "resolution", "reason", "comment",
                                         "refer_to") if n in payload}
    if texts:
        payload["sealed"] = {k: v for k, v in sealer.seal(CASE_ID, f"event/{data['seq']}", texts).items() if k != "f"}
    if isinstance(payload.get("complaint"), dict):
        complaint = dict(payload["complaint"])
        personal = {n: complaint.pop(n) for n in ("reporter", "address", "lat", "lon", "title", "description",
                                                  "attributes", "media_url")}
        complaint["sealed"] = {k: v for k, v in sealer.seal(CASE_ID, f"event/{data['seq']}/complaint",
                                                            personal).items() if k != "f"}
        payload["complaint"] = complaint
    return orjson.dumps({**data, "payload": payload})


@pytest.mark.parametrize("last", ["accept", "reject"])
def test_a_log_sealed_before_the_names_were_kept_opens_erased_without_a_field_missing(last):
    """Records sealed by the sealer of 2026-12-04 name no fields and sealed None ones too: once the key is
    destroyed each opens with the texts its type carries erased, and a rebuild neither fails nor shows any."""
    keys = MemoryDataKeys()
    sealer = Sealer(keys)
    events = decide_submission(None, submission_event(CASE_ID, full_complaint(), T0), J, T0)
    case = replay(events)
    steps = [cmd(1, "reject", COORDINATOR, reason=f"Bukan wewenang, hubungi {PHONE}")] if last == "reject" else [
        cmd(1, "acknowledge", OFFICER), cmd(2, "resolve", OFFICER, resolution=f"Lampu di {ADDRESS} diganti."),
        cmd(3, "accept", CITIZEN, rating=5)]
    for c in steps:
        new = decide(case, c, J, T0)
        events += new
        case = replay(events)
    log = [legacy_bytes(sealer, e) for e in events]
    keys.erase(CASE_ID)
    erasure = decide(case, cmd(9, "erase_personal_data", ADMIN, basis="request"), J, T0)
    rebuilt = replay([sealer.event_from(v) for v in log] + erasure)
    assert rebuilt.erased_at is not None and rebuilt.status == case.status
    assert set(texts_of(rebuilt)) <= {ERASED}
    assert not [p for p in PERSONAL if p in rebuilt.model_dump_json(exclude={"published_text"})]


def test_a_case_resolved_before_public_texts_were_recorded_keeps_its_public_record_through_the_erasure():
    """Its resolution recorded no `public`: the erasure carries the public texts, read before the key went."""
    agent, before = closed_case()
    now = T0 + timedelta(days=800)
    events = [agent.sealer.event_from(v) for v in agent.log]
    events = [e.model_copy(update={"payload": {k: v for k, v in e.payload.items() if k != "public"}})
              for e in events]
    old = replay(events)
    assert old.published_text is None
    shown = public_record(old, J, now)
    agent.keys.erase(CASE_ID)
    erasure = decide(old, cmd(900, "erase_personal_data", ADMIN, basis="request", public=public_texts(old)), J, now)
    after = replay(events + erasure)
    assert public_record(after, J, now) == shown
    without = replay(events + decide(old, cmd(900, "erase_personal_data", ADMIN, basis="request"), J, now))
    assert public_record(without, J, now)["description"] == ERASED  # what it would lose otherwise
