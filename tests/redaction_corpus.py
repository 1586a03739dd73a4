"""A corpus of Indonesian complaint texts with planted personal data, for the redaction tests.

`corpus(n, seed)` gives `n` texts (a fixed seed: the same texts every run), each a mix of an everyday
complaint with ordinary numbers that must survive (dates, amounts, house counts, times, distances) and
personal data that must not (NIK and KK numbers in their many groupings, phone numbers in their many
spellings, e-mail addresses, street addresses with house numbers and RT/RW, the reporter's name in several
forms). Each item says what was planted and which ordinary numbers it holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

NAMES = ["Siti Aminah", "Budi Santoso", "Rahmat Hidayat", "Dewi Lestari", "Ahmad Fauzi", "Nur Aini",
         "Yusuf Maulana", "Rina Marlina", "Eko Prasetyo", "Ani Suryani", "Hendra Gunawan", "Sri Wahyuni",
         "Agus Salim", "Fitri Handayani", "Joko Susilo", "Mega Puspita", "Taufik Rahman", "Wulan Sari",
         "Irfan Hakim", "Lina Marlina", "Darmawan Saputra", "Yuliana Putri", "Bambang Irawan", "Ratna Dewi"]
STREETS = ["Merpati", "Salak Raya", "Soekarno Hatta", "Ahmad Yani", "Letjen Suprapto", "Danau Dendam",
           "Kapuas Raya", "Pariwisata", "Sudirman", "Adam Malik", "Jenggalu", "Bhayangkara"]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
COMPLAINTS = [
    "Jalan sepanjang {km} km di desa kami rusak parah sejak {date}.",
    "Sudah {n} rumah terendam banjir setinggi {cm} cm sejak {date}.",
    "Sampah tidak diangkut sejak {date}, sudah {days} hari menumpuk di pinggir jalan.",
    "Lampu jalan padam setiap malam mulai pukul {time}, sudah {days} hari.",
    "Antrean di puskesmas mencapai {n} orang pada {date}, obat sering habis.",
    "Warga membayar Rp {amount} untuk pengurusan surat yang seharusnya gratis.",
    "Jembatan gantung sepanjang {m} meter miring sejak {date}; {n} anak sekolah melintas tiap hari.",
    "Saluran air tersumbat di {n} titik, air meluap ke jalan setiap hujan deras.",
    "Bantuan sosial untuk {n} kepala keluarga belum cair sejak {date}, padahal dijanjikan Rp {amount}.",
    "Pohon tumbang menutup jalan sejak pukul {time} tanggal {date}.",
    "Pungutan Rp {amount} diminta di sekolah untuk {n} siswa kelas {grade}.",
    "Air PDAM mati {days} hari berturut-turut sejak {date}.",
]


@dataclass
class Item:
    text: str
    name: str
    planted: list[str] = field(default_factory=list)  # strings that must not appear in any public output
    digits: list[str] = field(default_factory=list)  # digit strings (NIK, phones) that must not appear either
    ordinary: list[str] = field(default_factory=list)  # strings that must survive


def _nik(rng: random.Random) -> str:
    digits = "17" + "".join(rng.choice("0123456789") for _ in range(14))
    style = rng.randrange(6)
    if style == 0:
        return digits
    if style == 1:
        return " ".join(digits[i:i + 4] for i in range(0, 16, 4))
    if style == 2:
        return "-".join(digits[i:i + 4] for i in range(0, 16, 4))
    if style == 3:
        return ".".join([digits[:2], digits[2:4], digits[4:6], digits[6:12], digits[12:]])
    if style == 4:
        return f"{digits[:6]} {digits[6:12]} {digits[12:]}"
    return f"{digits[:6]}.{digits[6:12]}.{digits[12:]}"


def _phone(rng: random.Random) -> str:
    rest = "".join(rng.choice("0123456789") for _ in range(rng.choice([8, 9])))
    mobile = "8" + rng.choice("1235789") + rest
    style = rng.randrange(8)
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    return [f"0{mobile}", f"0{a}-{b}-{c}", f"0{a} {b} {c}", f"+62 {a} {b} {c}", f"+62{mobile}", f"62{a}-{b}-{c}",
            f"(0736) {rest[:5]}", f"0736-{rest[:6]}"][style]


def _address(rng: random.Random) -> str:
    street, number = rng.choice(STREETS), rng.randrange(1, 200)
    rt, rw = rng.randrange(1, 20), rng.randrange(1, 10)
    return rng.choice([f"Jl. {street} No. {number}", f"Jalan {street} No. {number}",
                       f"Jln {street} Nomor {number}A", f"Gg. {street} RT {rt:02d}/RW {rw:02d}",
                       f"Jl. {street} No. {number} RT.{rt:03d} RW.{rw:03d}"])


def corpus(n: int = 200, seed: int = 311) -> list[Item]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name = NAMES[i % len(NAMES)]
        first, last = name.split()[0], name.split()[-1]
        values = {"km": f"{rng.randrange(2, 30)},{rng.randrange(1, 9)}", "date": f"{rng.randrange(1, 28)} "
                  f"{rng.choice(MONTHS)} {rng.choice([2025, 2026])}", "n": str(rng.randrange(12, 480)),
                  "cm": str(rng.randrange(20, 150)), "days": str(rng.randrange(3, 40)),
                  "time": f"{rng.randrange(17, 23)}.{rng.choice(['00', '15', '30', '45'])}",
                  "amount": f"{rng.randrange(50, 950)}.000", "m": str(rng.randrange(20, 120)),
                  "grade": str(rng.randrange(7, 12))}
        complaint = rng.choice(COMPLAINTS)
        body = complaint.format(**values)
        ordinary = [values[k] for k in ("date", "n", "amount", "time", "days") if "{" + k + "}" in complaint]
        item = Item(text="", name=name, ordinary=ordinary)
        parts = [rng.choice([f"Saya {name}, warga setempat.", f"Nama saya {name.upper()}.", f"Pelapor: {name}.",
                             f"Dengan hormat, saya {first} melapor."]), body]
        item.planted += [name, first, last] if len(first) >= 3 else [name, last]
        for kind in rng.sample(["nik", "phone", "email", "address", "kk"], k=rng.randrange(2, 5)):
            if kind in ("nik", "kk"):
                value = _nik(rng)
                parts.append(rng.choice([f"NIK saya {value}.", f"No. KK: {value}", f"KTP {value}"]) if kind == "nik"
                             else f"Nomor KK {value}.")
                item.planted.append(value)
                item.digits.append("".join(ch for ch in value if ch.isdigit()))
            elif kind == "phone":
                value = _phone(rng)
                parts.append(rng.choice([f"Hubungi saya di {value}.", f"WA: {value}", f"HP {value} (sore)."]))
                item.planted.append(value)
                item.digits.append("".join(ch for ch in value if ch.isdigit()))
            elif kind == "email":
                host = rng.choice(["gmail.com", "yahoo.co.id"])
                value = f"{first.lower()}.{last.lower()}{rng.randrange(1, 99)}@{host}"
                parts.append(f"Surel: {value}")
                item.planted.append(value)
            else:
                value = _address(rng)
                parts.append(rng.choice([f"Rumah saya di {value}.", f"Alamat: {value}, dekat masjid."]))
                item.planted.append(value.split(" No")[0].split(" RT")[0] if rng.random() < 0.5 else value)
        parts.append(rng.choice([f"Mohon segera ditindaklanjuti. Terima kasih, {first}.",
                                 "Mohon segera ditindaklanjuti.", f"{last} menunggu kabar."]))
        item.text = " ".join(parts)
        out.append(item)
    return out


def leaks(item: Item, output: str) -> list[str]:
    """What of `item`'s planted data is still in `output` (names as whole words, digits in any grouping)."""
    import re

    found = []
    for planted in item.planted:
        if " " not in planted and planted.isalpha():
            if re.search(rf"(?<!\w){re.escape(planted)}(?!\w)", output, re.IGNORECASE):
                found.append(planted)
        elif planted.lower() in output.lower():
            found.append(planted)
    runs = {re.sub(r"\D", "", m) for m in re.findall(r"[+(]?\d[\d .()-]{6,}\d", output)}
    found += [d for d in item.digits if any(d in run or (len(run) >= 9 and run in d) for run in runs)]
    return found
