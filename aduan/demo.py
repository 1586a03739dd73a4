"""Demo data: realistic complaints and demo staff accounts, and a readiness wait.

Demo complaints enter like an import channel does: straight onto Kafka through the intake producer (the
case agent and the projection take it from there), not through the public API, whose rate limit for
anonymous submissions they would trip at once.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from config.connections import es_options
from config.jurisdiction_file import load_jurisdiction
from config.settings import Settings
from domain.complaint import Complaint
from domain.jurisdiction import Jurisdiction
from producers.intake import CommandSender, Intake
from producers.kafka import EventProducer
from producers.sealing import sealer_for

# (category, title, description) — written the way citizens write to LAPOR!.
SAMPLES = [
    ("jalan-jembatan", "Jalan berlubang di depan pasar",
     "Jalan di depan pasar berlubang besar dan tergenang air saat hujan, sudah dua motor jatuh minggu ini."),
    ("jalan-jembatan", "Jembatan kayu rapuh",
     "Papan jembatan penghubung desa sudah lapuk dan beberapa hilang, anak sekolah takut menyeberang."),
    ("sampah-kebersihan", "Sampah tidak diangkut",
     "Sampah di TPS dekat rumah sudah seminggu tidak diangkut, bau menyengat dan banyak lalat."),
    ("lingkungan", "Sungai tercemar limbah",
     "Air sungai berubah warna dan berbau sejak pabrik di hulu beroperasi, ikan banyak yang mati."),
    ("kesehatan", "Puskesmas tutup lebih awal",
     "Puskesmas sudah tutup jam 11 siang padahal jadwal sampai jam 2, warga yang antre disuruh pulang."),
    ("pendidikan", "Pungutan di sekolah",
     "Sekolah meminta uang pembangunan kepada orang tua murid tanpa rapat komite dan tanpa kuitansi."),
    ("transportasi", "Lampu lalu lintas mati",
     "Lampu lalu lintas di simpang lima mati sejak tiga hari, lalu lintas macet dan rawan kecelakaan."),
    ("bantuan-sosial", "Bansos tidak tepat sasaran",
     "Keluarga kami terdaftar tetapi tidak menerima bantuan, sementara tetangga yang mampu menerima."),
    ("bencana", "Banjir setiap hujan deras",
     "Permukiman kami kebanjiran setiap hujan deras karena saluran air tersumbat, air masuk ke rumah."),
    ("ketertiban", "Pedagang di trotoar",
     "Trotoar di sepanjang jalan utama dipakai pedagang sehingga pejalan kaki harus turun ke jalan."),
    ("administrasi-kependudukan", "KTP-el belum jadi",
     "Sudah tiga bulan sejak perekaman, KTP-el saya belum juga dicetak dengan alasan blangko habis."),
    ("pelayanan-publik", "Diminta uang pelicin",
     "Petugas meminta uang tambahan agar berkas izin usaha saya diproses lebih cepat."),
]


def demo_complaint(rng: random.Random, jurisdiction: Jurisdiction) -> Complaint:
    category, title, description = rng.choice(SAMPLES)
    regency = rng.choice(jurisdiction.regencies)
    return Complaint(
        category=category, title=title, description=description, regency=regency.code,
        district=rng.choice(regency.districts).code, anonymous=rng.random() < 0.1,
        confidential=rng.random() < 0.05, channel="import",
        client_request_id=str(uuid.UUID(int=rng.getrandbits(128))),
    )


def submit_demo_complaints(settings: Settings, count: int, log: Callable[[str], None] = print,
                           seed: int = 17) -> list[str]:
    """Put `count` complaints on Kafka; the fixed seed gives the same request ids, so a re-run adds none."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    jurisdiction = load_jurisdiction(settings.jurisdiction_file)
    producer = EventProducer.from_settings(settings, client_id="aduan-demo")
    intake = Intake(producer, settings.topics.submissions, jurisdiction.case_prefix, sealer_for(settings))

    async def submit_all() -> list[str]:
        ids = []
        for i in range(count):
            complaint = demo_complaint(rng, jurisdiction)
            receipt = await intake.submit(intake.case_id_for(complaint.client_request_id), complaint)
            ids.append(receipt.case_id)
            if (i + 1) % 10 == 0 or i + 1 == count:
                log(f"demo: {i + 1}/{count} complaints submitted")
        return ids

    try:
        return asyncio.run(submit_all())
    finally:
        producer.close()


REPLIES = ["Terima kasih, laporan Anda sudah kami terima dan tim kami akan meninjau lokasi minggu ini.",
           "Petugas kami sudah memeriksa lokasi; perbaikan dijadwalkan dalam beberapa hari ke depan."]
RESOLUTIONS = ["Masalah sudah ditangani oleh tim lapangan; terima kasih atas laporannya.",
               "Sudah diperbaiki dan diperiksa ulang oleh petugas bersama warga setempat."]


def work_demo_cases(settings: Settings, ids: list[str], log: Callable[[str], None] = print,
                    timeout_s: float = 60) -> int:
    """Have the agencies answer and resolve about half of the demo cases, and the citizens rate some, so the
    transparency pages have something to show. Commands go on Kafka like any officer's; their ids derive
    from the case id, so a re-run changes nothing. Returns how many cases were worked."""
    from elasticsearch import Elasticsearch
    from pydantic import TypeAdapter

    from domain.commands import Command
    from domain.events import Actor

    es = Elasticsearch(**es_options(settings), request_timeout=30)
    cases: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(cases) < len(ids[::2]):
            for case_id in ids[::2]:
                if case_id not in cases:
                    found = es.options(ignore_status=404).get(index=settings.indices.cases, id=case_id)
                    if found.get("found") and found["_source"].get("agency"):
                        cases[case_id] = found["_source"]["agency"]
            time.sleep(0.5)
    finally:
        es.close()
    command = TypeAdapter(Command).validate_python
    producer = EventProducer.from_settings(settings, client_id="aduan-demo")
    sender = CommandSender(producer, settings.topics.commands, sealer_for(settings))

    async def send_all() -> None:
        for n, (case_id, agency) in enumerate(sorted(cases.items())):
            officer = Actor(role="officer", id=f"demo.{agency.lower()}", agency=agency).model_dump()
            now = datetime.now(UTC).isoformat()
            steps = [("acknowledge", officer, {}), ("reply", officer, {"message": REPLIES[n % 2]}),
                     ("resolve", officer, {"resolution": RESOLUTIONS[n % 2]})]
            if n % 3:
                steps.append(("accept", {"role": "citizen"}, {"rating": 3 + n % 3}))
            for kind, actor, fields in steps:
                await sender.send(command({"command_id": f"demo-{case_id}-{kind}", "case_id": case_id,
                                           "actor": actor, "issued_at": now, "type": kind, **fields}))

    try:
        asyncio.run(send_all())
    finally:
        producer.close()
    log(f"demo: {len(cases)} cases answered and resolved by their agencies")
    return len(cases)


def wait_ready(base_url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/readyz", timeout=5)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise TimeoutError(f"{base_url} not ready after {timeout_s:.0f} s: {last}")


# Demo staff for `make run` on one machine, listed in the README. Never for a real deployment: there
# accounts are made one by one with `aduan users add`.
DEMO_PASSWORD = "Demo-Aduan-Bengkulu"  # noqa: S105 - published on purpose, demo only
DEMO_ACCOUNTS = [
    ("budi.pupr", "officer", "PUPR-KOTA"),
    ("sari.pupr", "supervisor", "PUPR-KOTA"),
    ("rina.dinkes", "officer", "DINKES"),
    ("koordinator", "coordinator", None),
    ("admin", "admin", None),
]
DEMO_OPEN311_KEY = ("demo-client", "demo-open311-bengkulu-2026")  # noqa: S105 - published on purpose, demo only


def ensure_demo_accounts(settings, log: Callable[[str], None] = print) -> None:
    """Create the demo accounts that do not exist yet (a re-run changes nothing)."""
    from api.accounts import AccountStore
    from api.accounts.mfa import MFA_ROLES, provisioning_uri

    store = AccountStore.from_settings(settings)
    try:
        existing = {a.username for a in store.list()}
        for username, role, agency in DEMO_ACCOUNTS:
            if username not in existing:
                store.add(username, role, agency, DEMO_PASSWORD)
                if role in MFA_ROLES:
                    store.enroll_mfa(username)
        log(f"demo accounts: {', '.join(u for u, _, _ in DEMO_ACCOUNTS)} (password {DEMO_PASSWORD})")
        for username, role, _ in DEMO_ACCOUNTS:
            account = store.get(username)
            if role in MFA_ROLES and account is not None:
                if account.totp_secret is None:  # made before second factors existed
                    store.enroll_mfa(username)
                    account = store.get(username)
                # Demo only: a real account's URI is shown once, at `aduan users add` or `users mfa-reset`.
                uri = provisioning_uri(account.totp_secret, username, store.issuer)
                log(f"  {username} also needs a code from an authenticator app: {uri}")
        if DEMO_OPEN311_KEY[0] not in {k.name for k in store.api_keys()}:
            store.add_api_key(*DEMO_OPEN311_KEY)
        log(f"demo Open311 api_key: {DEMO_OPEN311_KEY[1]}")
    finally:
        store.close()
