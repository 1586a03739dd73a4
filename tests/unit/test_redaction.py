"""Personal data out of the public text: NIK/KK, phones, e-mails, street addresses, the reporter's name."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.redaction import scrub
from tests.redaction_corpus import corpus, leaks

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text, expected", [
    ("NIK saya 1771012345678901.", "NIK saya [NIK]."),
    ("KK 1771 0123 4567 8901 dan 17.71.01.2345.6789.01", "KK [NIK] dan [NIK]"),
    ("No KK: 1771-0123-4567-8901", "No KK: [NIK]"),
    ("Hubungi 081273001234 atau +62 812-7300-1234.", "Hubungi [telepon] atau [telepon]."),
    ("WA 62812 7300 1234, kantor (0736) 21234 / 0736-21234", "WA [telepon], kantor [telepon] / [telepon]"),
    ("Surel budi.s+aduan@mail.co.id ya", "Surel [email] ya"),
    ("Rumah saya di Jl. Salak No. 12 RT 03/RW 05, Kel. Padang Jati", "Rumah saya di [alamat], Kel. Padang Jati"),
    ("di jln Mawar Merah dekat masjid", "di [alamat] dekat masjid"),
    ("Jalan Kapuas No. 7A rusak parah", "[alamat] rusak parah"),
    ("masuk Gg. Kenanga, rt.003 rw.002", "masuk [alamat]"),  # neighbouring parts become one
])
def test_each_kind_of_personal_data_is_replaced(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", [
    "Jalan di depan pasar berlubang besar sejak 2025.",
    "Jalan Kapuas berlubang, jalan sudah diperbaiki pada 12 Mei 2026 pukul 10.30.",
    "Kerugian Rp 1.500.000 dan Rp 625.000.000 untuk 45 rumah; nomor antrean 45.",
    "Banjir setinggi 1,5 meter di 17 RT.",
])
def test_what_is_not_personal_stays(text):
    assert scrub(text) == text


def test_the_reporters_name_goes_wherever_it_appears():
    text = "Saya Rahmat Hidayat melapor. Pak rahmat sudah menunggu; HIDAYAT juga. Rahmatullah tetap."
    assert scrub(text, ["Rahmat Hidayat"]) == \
        "Saya [nama] melapor. Pak [nama] sudah menunggu; [nama] juga. Rahmatullah tetap."
    assert scrub("Ali melapor", ["Ali"]) == "[nama] melapor"
    assert scrub(None) is None and scrub("") == ""


words = st.sampled_from(["jalan", "rusak", "di", "depan", "rumah", "sejak", "minggu", "lalu", "tolong", "segera"])
separators = st.sampled_from(["", " ", ".", "-"])


@given(st.lists(words, min_size=1, max_size=8), st.text("0123456789", min_size=16, max_size=16), separators,
       st.lists(words, max_size=8))
def test_a_nik_in_any_grouping_never_survives(before, digits, sep, after):
    nik = sep.join([digits[:4], digits[4:8], digits[8:12], digits[12:]])
    out = scrub(" ".join([*before, nik, *after]))
    assert digits not in re.sub(r"\D", "", out)


@given(st.sampled_from(["08", "+628", "628"]), st.text("0123456789", min_size=9, max_size=11), separators)
def test_a_mobile_number_in_any_grouping_never_survives(start, rest, sep):
    number = start + sep.join([rest[:3], rest[3:7], rest[7:]])
    out = scrub(f"Hubungi saya di {number} kapan saja")
    assert out == "Hubungi saya di [telepon] kapan saja"


def test_the_corpus_scrubbed_keeps_no_planted_data_and_every_ordinary_number():
    items = corpus(400)
    assert len({item.text for item in items}) == 400
    for item in items:
        raw = set(leaks(item, item.text))  # the check finds what was planted, unscrubbed
        assert raw >= set(item.planted[3:]) and raw & set(item.planted[:3]), item.text
        out = scrub(item.text, [item.name])
        assert leaks(item, out) == [], (item.text, out)
        for number in item.ordinary:
            assert number in out, (number, item.text, out)
