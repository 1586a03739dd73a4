"""The labelled redaction corpus (tests/data/redaction_corpus.jsonl): what it holds, how it is made, how a
scrub is scored against it.

Each line is one Indonesian complaint: {"id", "text", "names", "pii": [{"class", "value"}], "keep": [...]}.
`names` is what the reporter gave as their name (maybe nothing: anonymous), `pii` the planted personal data (each
value an exact substring of the text, every occurrence of it must go), `keep` strings that must survive
unchanged (dates, times, amounts, distances, regulation numbers, agencies, places, streets named without a house
number, roles after an honorific).

Most lines are generated (`python -m tests.redaction_corpus` writes the file again, the same every run: a fixed
seed): a complaint of one of eleven kinds in Bengkulu places, with look-alikes, and personal data of several
classes in many spellings (casing, spacing, separators, glued labels, Unicode dashes and spaces, full-width
digits, typos). `HANDWRITTEN` are complaints written as people write them, with forms the generator does not
make. The file is committed; the generator is here to explain and extend it.

Scoring (`score`): the text is normalised as the scrubber does (`domain.redaction.normalise`), each planted
value is found in it (every occurrence; whole words for values that start or end with a letter), and the value
counts as removed when every one of its identifying characters lies inside a replaced span (`redaction.redact`).
Identifying characters are the value's letters and digits, less the label words around them ("Jl.", "No.", "RT",
"NIK"...), see `_core`. A replaced span is right when it overlaps a planted value, wrong otherwise.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).parent / "data" / "redaction_corpus.jsonl"
CLASSES = ("nik", "phone", "email", "plate", "account", "npwp", "bpjs", "handle", "address", "name")
IDENTIFIERS = ("nik", "phone", "email", "plate", "account", "npwp", "bpjs")


@dataclass
class Labelled:
    id: str
    text: str
    names: list[str] = field(default_factory=list)
    pii: list[dict] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)


def load(path: Path = DATA) -> list[Labelled]:
    with path.open(encoding="utf-8") as f:
        return [Labelled(**json.loads(line)) for line in f if line.strip()]


# --- scoring -------------------------------------------------------------------------------------------------

_LABEL_WORDS = {
    "jl", "jln", "jalan", "no", "nomor", "nomer", "nmr", "rt", "rw", "gg", "gang", "blok", "perum", "perumahan",
    "komplek", "kompleks", "komp", "btn", "kel", "kelurahan", "lorong", "nik", "kk", "ktp", "wa", "hp", "telp",
    "tlp", "ig", "fb", "rek", "npwp", "bpjs", "raya", "an", "a", "n", "griya", "lr",
}


def _core(cls: str, value: str) -> list[tuple[int, int]]:
    """The identifying parts of `value` (offsets into it): letters and digits, less the label words."""
    parts = []
    for m in re.finditer(r"[^\W_]+", value):
        word = m.group()
        if cls == "address" and word.lower() in _LABEL_WORDS:
            continue
        if cls in ("phone", "nik", "account", "npwp", "bpjs") and not word.isdigit():
            continue
        if cls == "handle" and word.lower() in ("www", "com", "https", "http", "instagram", "fb", "facebook",
                                                 "tiktok", "twitter", "x", "ig", "me", "youtube", "t"):
            continue
        parts.append((m.start(), m.end()))
    return parts


def occurrences(text: str, value: str) -> list[int]:
    """Where `value` occurs in `text` (whole words when it starts or ends with a letter or digit)."""
    lead = r"(?<!\d)" if value[:1].isdigit() else r"(?<![^\W_])" if value[:1].isalpha() else ""
    tail = r"(?!\d)" if value[-1:].isdigit() else r"(?![^\W_])" if value[-1:].isalpha() else ""
    return [m.start() for m in re.finditer(lead + re.escape(value) + tail, text, re.IGNORECASE)]


def score(item: Labelled, normalise, redact) -> dict:
    """Planted values missed and spans that covered no planted value, for one item."""
    text, spans = redact(item.text, item.names)
    covered = bytearray(len(text) + 1)
    for start, end, _ in spans:
        covered[start:end] = b"\1" * (end - start)
    planted = bytearray(len(text) + 1)
    missed, found = [], []
    for p in item.pii:
        value = normalise(p["value"])
        where = occurrences(text, value)
        if not where:
            raise AssertionError(f"{item.id}: planted {value!r} is not in the text")
        ok = True
        for at in where:
            planted[at:at + len(value)] = b"\1" * len(value)
            for s, e in _core(p["class"], value):
                if not all(covered[at + s:at + e]):
                    ok = False
        (found if ok else missed).append(p)
    wrong = [(text[s:e], label) for s, e, label in spans if not any(planted[s:e])]
    right = [(text[s:e], label) for s, e, label in spans if any(planted[s:e])]
    return {"missed": missed, "found": found, "wrong": wrong, "right": right, "text": text}


def kept(item: Labelled, normalise, scrubbed: str) -> list[str]:
    """The must-stay strings that did not survive."""
    return [k for k in item.keep if normalise(k) not in scrubbed]


# --- generation ----------------------------------------------------------------------------------------------

FIRST = ["Siti", "Budi", "Rahmat", "Dewi", "Ahmad", "Nur", "Yusuf", "Rina", "Eko", "Ani", "Hendra", "Sri", "Agus",
         "Fitri", "Joko", "Mega", "Taufik", "Wulan", "Irfan", "Lina", "Darmawan", "Yuliana", "Bambang", "Ratna",
         "Muhammad", "Rizky", "Andi", "Desi", "Fauzan", "Herlina", "Zulkifli", "Nining", "Sapri", "Marzuki",
         "Erlina", "Ujang", "Samsul", "Wiwik", "Salsabila", "Dimas", "Khairul", "Neneng", "Syahrul", "Tiara"]
LAST = ["Aminah", "Santoso", "Hidayat", "Lestari", "Fauzi", "Aini", "Maulana", "Marlina", "Prasetyo", "Suryani",
        "Gunawan", "Wahyuni", "Salim", "Handayani", "Susilo", "Puspita", "Rahman", "Sari", "Hakim", "Saputra",
        "Irawan", "Dewi", "Kurniawan", "Nasution", "Harahap", "Siregar", "Simanjuntak", "Pratama", "Ramadhan",
        "Febrianto", "Wijaya", "Setiawan", "Rusdi", "Junaidi", "Hasibuan", "Effendi", "Syafitri", "Anggraini"]
VARIANTS = {"Rizky": ["Rizki", "Risky", "Rizqi", "RIZKY", "rizky"], "Muhammad": ["Muhamad", "Mohammad", "M.", "Moh."],
            "Ahmad": ["Achmad", "Ahmat"], "Yusuf": ["Yusup", "Jusuf"], "Fitri": ["Fitriy", "Fitry"],
            "Syahrul": ["Sahrul", "Syahrull"], "Khairul": ["Chairul", "Hairul"], "Zulkifli": ["Zulkifly"],
            "Hidayat": ["Hidajat", "Hidayad"], "Santoso": ["Santosa"], "Saputra": ["Saputera"]}
STREETS = ["Merpati", "Salak Raya", "Soekarno Hatta", "Letjen Suprapto", "Danau Dendam", "Kapuas Raya",
           "Pariwisata", "Adam Malik", "Jenggalu", "Bhayangkara", "Hibrida", "Flamboyan", "Cendana", "Meranti",
           "Kenanga", "Dempo", "Semangka", "Rinjani", "Mangga Dua", "WR Supratman", "Putri Gading", "Jati",
           "Sungai Rupat", "Bumi Ayu", "Nusa Indah", "Timur Indah", "Irian", "Sumatera", "Halmahera", "Kalimantan"]
PUBLIC_STREETS = ["Jalan Sudirman", "Jalan Ahmad Yani", "Jl. Suprapto", "Jalan Raya Padang Kemiling",
                  "Jalan Lingkar Barat", "Jalan Kolonel Barlian", "Jalan S. Parman", "jalan lintas Bengkulu-Curup",
                  "Jalan Pangeran Natadirja", "jalan utama desa", "Jalan Depati Payung Negara"]
GANGS = ["Mawar", "Kenanga", "Sawo", "Damai", "Sepakat", "Keluarga", "Pinang", "Sederhana", "Duku", "Rambutan",
         "Anggrek", "Bersama"]
ESTATES = ["Perum Griya Indah", "Perumahan Bumi Ayu Permai", "Kompleks Pemda", "Komplek Unib Permai",
           "Perumnas Lingkar Timur", "Perum Villa Gading", "BTN Kandang Mas", "Perumahan Pondok Indah Permai"]
PLACES = ["Kecamatan Ratu Agung", "Kelurahan Padang Jati", "Kecamatan Selebar", "Kelurahan Kebun Tebeng",
          "Kecamatan Gading Cempaka", "Kelurahan Sawah Lebar", "Kecamatan Singaran Pati", "Kelurahan Pagar Dewa",
          "Kecamatan Teluk Segara", "Kelurahan Tanjung Jaya", "Kecamatan Muara Bangkahulu", "Desa Taba Penanjung",
          "Kota Curup", "Kabupaten Kepahiang", "Kecamatan Kampung Melayu", "Kabupaten Seluma", "Kota Manna",
          "Kecamatan Sungai Serut", "Desa Air Sebakul", "Kabupaten Rejang Lebong", "Kabupaten Mukomuko"]
LANDMARKS = ["Pasar Minggu", "Simpang Lima", "Pasar Panorama", "Pantai Panjang", "Benteng Marlborough",
             "Tugu Thomas Parr", "Simpang Skip", "Masjid Jamik", "RSUD M. Yunus", "Puskesmas Sawah Lebar",
             "SDN 67 Kota Bengkulu", "SMPN 4", "Bandara Fatmawati", "Terminal Air Sebakul", "Pelabuhan Pulau Baai"]
AGENCIES = ["Dinas PUPR Kota Bengkulu", "DLH", "PDAM Tirta Dharma", "PLN UP3 Bengkulu", "Dinas Kesehatan",
            "Dinas Pendidikan", "DPMPTSP", "Dinas Sosial", "BPBD Provinsi Bengkulu", "Dishub", "Dinas Perkim",
            "Satpol PP", "Dukcapil", "BPJS Kesehatan Cabang Bengkulu", "Bappeda"]
ROLES_KEEP = ["Pak Camat", "Ibu Kepala Dinas", "Bapak Walikota", "Pak RT", "Pak Lurah", "Ibu Bidan", "Bapak Gubernur",
              "Pak Kades", "Ibu Kepala Sekolah", "Pak Kadis", "Bu Lurah", "Bapak Bupati"]
REGULATIONS = ["Perda No. 5 Tahun 2019", "UU No. 27 Tahun 2022", "Perwal Nomor 12", "Perda Nomor 3 Tahun 2020",
               "PP No. 71 Tahun 2019", "Permendagri No. 90 Tahun 2019", "Perwal No. 41 Tahun 2021",
               "UU Nomor 25 Tahun 2009"]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
OTHER_PEOPLE = ["Sugeng", "Marni", "Darsono", "Rosita", "Jufri", "Komariah", "Darwis", "Sulastri", "Mukhtar",
                "Yeni", "Rusli", "Nasrul", "Wiwin", "Ratih", "Hendrik", "Sinta", "Bonar", "Tuti", "Slamet", "Anjani"]
OTHER_LAST = ["Harjono", "Sembiring", "Pohan", "Ginting", "Lubis", "Rangkuti", "Purba", "Tambunan", "Saragih",
              "Batubara", "Manurung", "Pardede"]
HONORIFICS = ["Pak", "Bapak", "Bpk.", "Ibu", "Bu", "Sdr.", "Saudara", "Saudari", "Mas", "Mbak", "Kak", "Bang", "H.",
              "Hj.", "Haji", "pak", "bu", "ibu", "bpk", "Ibu Hj.", "Bapak H."]

COMPLAINTS = {
    "jalan": [
        "{street_pub} rusak parah sejak {date}, lubangnya sedalam {cm} cm dan sudah {n} motor jatuh.",
        "Jalan di depan pasar berlubang besar, panjang kerusakan sekitar {km} km dari {landmark}.",
        "Aspal {street_pub} mengelupas sepanjang {m} meter, sudah dilaporkan ke {agency} pada {date_num} "
        "tapi belum ada tindakan.",
        "jembatan kayu di {place} hampir putus, {n} anak sekolah lewat tiap hari jam {time}.",
    ],
    "sampah": [
        "Sampah di TPS dekat {landmark} tidak diangkut {days} hari, baunya sampai ke {place}.",
        "Truk {agency} hanya datang {n} kali sebulan, padahal kami bayar retribusi Rp {amount} per bulan sesuai {reg}.",
        "tumpukan sampah di pinggir {street_pub} sudah setinggi {m} meter sejak {date}.",
    ],
    "air": [
        "Air {agency} mati total sejak {date}, sudah {days} hari warga beli air galon Rp{amount_short}.",
        "Tagihan PDAM bulan {month} naik jadi Rp {amount} padahal air keruh dan hanya mengalir jam {time} "
        "sampai {time2}.",
        "Pipa {agency} bocor di {street_pub} dekat {landmark}, air terbuang sejak {date_num}.",
    ],
    "listrik": [
        "Listrik padam {n} kali seminggu di {place}, kulkas warga rusak; {agency} belum memberi penjelasan.",
        "Tiang listrik miring di {street_pub} sejak {date}, kabelnya menjuntai setinggi {m} meter.",
        "Token listrik sudah dibeli Rp {amount} tapi tidak masuk, sudah lapor ke {agency} tanggal {date_num}.",
    ],
    "kesehatan": [
        "Antrean di {landmark} sampai {n} orang pada {date}, dokter baru datang pukul {time}.",
        "Obat di puskesmas {place} kosong {days} hari, pasien disuruh beli sendiri Rp {amount}.",
        "Pelayanan IGD lambat, {role} tidak ada di tempat pada {date} jam {time}.",
    ],
    "pendidikan": [
        "Sekolah memungut uang seragam Rp {amount} untuk {n} siswa kelas {grade}, padahal {reg} melarang pungutan.",
        "Atap kelas di {landmark} bocor sejak {date}, {n} murid belajar di teras.",
        "PPDB zonasi tidak transparan, {role} tidak mau menjelaskan kuota {n} kursi.",
    ],
    "izin": [
        "Pengurusan IMB/PBG di {agency} sudah {days} hari belum selesai, diminta biaya Rp{amount_short} "
        "tanpa kwitansi.",
        "Izin usaha warung saya ditolak tanpa alasan pada {date_num}, padahal syarat sesuai {reg}.",
    ],
    "bansos": [
        "Bansos PKH untuk {n} KK di {place} belum cair sejak {month} {year}, padahal dijanjikan Rp {amount}.",
        "Nama kami hilang dari daftar penerima BLT di {agency}; {role} bilang datanya salah.",
        "Bantuan beras {n} kg per keluarga dipotong jadi {n2} kg oleh oknum di {place}.",
    ],
    "banjir": [
        "Banjir setinggi {cm} cm merendam {n} rumah di {place} pada {date}, drainase di {street_pub} tersumbat.",
        "Sudah {n} kali banjir tahun {year}, {agency} belum menormalisasi sungai sepanjang {km} km.",
        "Air sungai meluap jam {time} tanggal {date_num}, warga mengungsi ke {landmark}.",
    ],
    "lampu": [
        "Lampu jalan di {street_pub} padam {days} hari, sudah {n} kali terjadi jambret dekat {landmark}.",
        "PJU di {place} mati sejak {date}, {n} tiang tidak menyala dari km {km_int} sampai km {km_int2}.",
    ],
    "angkutan": [
        "Bus Trans Bencoolen trayek {landmark} - {landmark2} tidak datang sejak jam {time}, "
        "penumpang menunggu {n} menit.",
        "Tarif angkot naik jadi Rp {amount_small} tanpa pengumuman {agency} sejak {date}.",
        "Halte di {street_pub} rusak, atapnya jatuh pada {date_num} pukul {time}.",
    ],
}


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def pick(self, seq):
        return self.r.choice(seq)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def digits(self, n: int) -> str:
        return "".join(self.pick("0123456789") for _ in range(n))

    # look-alikes
    def date(self) -> str:
        return f"{self.r.randrange(1, 29)} {self.pick(MONTHS)} {self.pick([2023, 2024, 2025, 2026])}"

    def date_num(self) -> str:
        d, m, y = self.r.randrange(1, 29), self.r.randrange(1, 13), self.pick([2023, 2024, 2025, 2026])
        return self.pick([f"{d:02d}-{m:02d}-{y}", f"{d:02d}/{m:02d}/{y}", f"{d}/{m}/{y}", f"{d:02d}.{m:02d}.{y}",
                          f"{y}-{m:02d}-{d:02d}", f"{d}-{m}-{str(y)[2:]}"])

    def time(self) -> str:
        h, m = self.r.randrange(5, 23), self.pick(["00", "15", "30", "45"])
        return self.pick([f"{h:02d}.{m}", f"{h}:{m}", f"{h:02d}.{m} WIB", f"{h}.{m}"])

    def amount(self) -> str:
        return self.pick([f"{self.r.randrange(50, 950)}.000",
            f"{self.r.randrange(1, 9)}.{self.r.randrange(100, 999)}.000",
                          f"{self.r.randrange(10, 99)}.000.000",
                              f"{self.r.randrange(1, 5)}.{self.r.randrange(1, 9)}00.000.000"])

    # personal data, each returns (text to put in, value that must go, class)
    def nik(self, kk: bool = False) -> tuple[str, str]:
        d = self.pick(["17", "16", "32", "31", "18"]) + self.pick(["71", "01", "02", "05", "07"]) + self.digits(12)
        style = self.r.randrange(11)
        value = [d, " ".join(d[i:i + 4] for i in range(0, 16, 4)), "-".join(d[i:i + 4] for i in range(0, 16, 4)),
                 ".".join([d[:2], d[2:4], d[4:6], d[6:12], d[12:]]), f"{d[:6]} {d[6:12]} {d[12:]}",
                 f"{d[:6]}.{d[6:12]}.{d[12:]}", "  ".join(d[i:i + 4] for i in range(0, 16, 4)),
                 " - ".join(d[i:i + 4] for i in range(0, 16, 4)), f"{d[:6]}\u2013{d[6:12]}\u2013{d[12:]}",
                 d.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
                 f"{d[:4]}\u00a0{d[4:8]}\u00a0{d[8:12]}\u00a0{d[12:]}"][style]
        label = self.pick(["No KK", "KK", "kk", "Nomor KK", "No. Kartu Keluarga", "KK:"]) if kk else \
            self.pick(["NIK", "nik", "NIK:", "No. NIK", "NIK saya", "no ktp", "KTP", "e-KTP", "Nik", "NIK."])
        glue = self.pick([" ", " ", ": ", "", " "]) if not label.endswith((":", ".")) else self.pick([" ", ""])
        frame = self.pick(["{x}", "{x}.", "dengan {x}", "({x})", "{x}, mohon dicek", "atas {x}"])
        return frame.format(x=f"{label}{glue}{value}"), value

    def phone(self) -> tuple[str, str]:
        mobile = "8" + self.pick("1235789") + self.digits(self.pick([7, 8, 9]))
        a, b, c = mobile[:3], mobile[3:7], mobile[7:]
        local = self.digits(self.pick([5, 6]))
        area = self.pick(["0736", "0732", "0739", "0737", "0738"])
        value = self.pick([
            f"0{mobile}", f"0{a}-{b}-{c}", f"0{a} {b} {c}", f"+62 {a} {b} {c}", f"+62{mobile}", f"62{a}-{b}-{c}",
            f"62{mobile}", f"(+62) {a}-{b}-{c}", f"+62-{a}-{b}-{c}", f"0{a}.{b}.{c}", f"0{a} - {b} - {c}",
            f"+62 ({a}) {b}{c}", f"0{a}\u2013{b}\u2013{c}",
                f"０{mobile.translate(str.maketrans('0123456789', '０１２３４５６７８９'))}",
            f"({area}) {local}", f"{area}-{local}", f"{area} {local[:2]} {local[2:]}", f"({area})-{local}",
            f"{area}.{local}", f"+62 {area[1:]} {local}", f"0{a}{b} {c}", f"0{a}\u00a0{b}\u00a0{c}",
            f"+62\u202f{a}\u202f{b}\u202f{c}", f"0{a}  {b}  {c}", f"+62 (0){a} {b} {c}"])
        label = self.pick(["HP", "hp", "WA", "wa", "No. HP", "no hp", "Telp", "telp.", "tlp", "WhatsApp", "kontak",
                           "Hubungi saya di", "bisa dihubungi ke", "nomor saya", "HP/WA", "CP", "Telepon rumah",
                           "hub", "WA saya", "call/wa", "", ""])
        glue = self.pick([" ", ": ", ":", "", " ", ". "]) if label else ""
        if label and glue == "" and not label[-1].isalpha():
            glue = " "
        if label in ("Hubungi saya di", "bisa dihubungi ke", "nomor saya", "hub"):
            glue = " "
        if self.chance(0.08):
            digits = "".join(c for c in unicodedata.normalize("NFKC", value) if c.isdigit())
            digits = "62" + digits[1:] if digits.startswith("0") else digits
            return f"wa.me/{digits}", None
        return f"{label}{glue}{value}", value

    def email(self, first: str, last: str) -> tuple[str, str]:
        user = self.pick([f"{first.lower()}.{last.lower()}", f"{first.lower()}{self.r.randrange(1, 99)}",
                          f"{first.lower()}_{last.lower()[:3]}", f"{last.lower()}.{first.lower()[0]}",
                          f"{first.lower()}{last.lower()}{self.r.randrange(70, 99)}"])
        host = self.pick(["gmail.com", "yahoo.co.id", "yahoo.com", "ymail.com", "bengkulukota.go.id",
                          "unib.ac.id", "outlook.com", "student.unib.ac.id"])
        h, _, tld = host.partition(".")
        value = self.pick([
            f"{user}@{host}", f"{user}@{host}", f"{user.upper()}@{host.upper()}",
                f"{user} at {h} dot {tld.replace('.', ' dot ')}",
            f"{user}[at]{h}[dot]{tld.replace('.', '[dot]')}", f"{user} @ {host}", f"{user}(at){host}",
            f"{user} [at] {host}", f"{user}＠{host}", f"{user} (at) {h} (dot) {tld.replace('.', ' (dot) ')}",
            f"{user}@{h}" if h in ("gmail", "yahoo", "ymail", "outlook") else f"{user}@{host}", f"{user} @{host}"])
        label = self.pick(["Email:", "email", "E-mail", "surel", "Surel:", "imel", "email saya", "kirim ke", ""])
        return f"{label} {value}".strip(), value

    def plate(self) -> tuple[str, str]:
        code = self.pick(["BD", "BD", "BD", "B", "BG", "BE", "D", "BA", "bd"])
        num = str(self.r.randrange(1, 9999))
        suffix = "".join(self.pick("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(self.pick([1, 2, 2, 3])))
        if code.islower():
            suffix = suffix.lower()
        value = self.pick([f"{code} {num} {suffix}", f"{code}{num}{suffix}", f"{code}-{num}-{suffix}",
                           f"{code} {num}{suffix}", f"{code}{num} {suffix}"])
        frame = self.pick(["motor {v}", "mobil plat {v}", "kendaraan dengan nopol {v}", "truk {v}", "plat nomor {v}",
                           "angkot {v}", "mobil dinas {v}", "nomor polisi {v}", "{v}"])
        return frame.format(v=value), value

    def account(self, first: str, last: str) -> tuple[str, str, str | None]:
        bank = self.pick(["BRI", "BNI", "Bank Bengkulu", "BSI", "Mandiri", "BCA", "bri", "DANA", "OVO"])
        d = self.digits(self.pick([10, 12, 13, 15]))
        value = self.pick([d, f"{d[:4]}-{d[4:6]}-{d[6:]}", f"{d[:3]} {d[3:7]} {d[7:]}", f"{d[:4]}.{d[4:8]}.{d[8:]}",
                           f"{d[:4]}-01-{d[4:10]}-50-1"])
        holder = self.pick([f"{first} {last}", f"{first.upper()} {last.upper()}", first])
        if bank in ("DANA", "OVO"):
            value = "08" + self.digits(10)
        label = self.pick([f"rek {bank}", f"no rekening {bank}", f"No. Rek. {bank}", f"rekening {bank}", f"{bank}",
                           f"norek {bank}", f"transfer ke {bank}", f"rek. {bank}", "ke rekening"])
        an = self.pick([" a.n. ", " an. ", " a/n ", " atas nama ", " a.n ", ""])
        return f"{label} {value}{an}{holder if an else ''}".strip(), value, holder if an else None

    def npwp(self) -> tuple[str, str]:
        d = self.digits(15)
        value = self.pick([f"{d[:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:]}", d,
                           f"{d[:2]} {d[2:5]} {d[5:8]} {d[8]} {d[9:12]} {d[12:]}", "17" + self.digits(14)])
        return f"{self.pick(['NPWP', 'npwp', 'NPWP:', 'No. NPWP'])} {value}", value

    def bpjs(self) -> tuple[str, str]:
        d = "000" + self.digits(10)
        value = self.pick([d, f"{d[:4]} {d[4:8]} {d[8:]}", f"{d[:4]}-{d[4:8]}-{d[8:]}", d])
        label = self.pick(["BPJS", "kartu BPJS", "No. BPJS", "no kartu KIS", "BPJS Kesehatan", "JKN-KIS"])
        return f"{label} {value}", value

    def handle(self, first: str, last: str) -> tuple[str, str]:
        h = self.pick([f"{first.lower()}_{last.lower()[:1]}", f"{first.lower()}.{last.lower()}",
                       f"{first.lower()}{self.r.randrange(10, 99)}", f"{last.lower()}_official",
                       f"{first.lower()}_{last.lower()}", f"its.{first.lower()}"])
        kind = self.r.randrange(9)
        if kind == 0:
            return f"@{h}", f"@{h}"
        if kind == 1:
            return f"IG: {h}", h
        if kind == 2:
            return f"ig @{h}", f"@{h}"
        if kind == 3:
            return f"fb.com/{h}", f"fb.com/{h}"
        if kind == 4:
            return f"tiktok @{h}", f"@{h}"
        if kind == 5:
            return f"instagram.com/{h}", f"instagram.com/{h}"
        if kind == 6:
            return f"akun twitter @{h}", f"@{h}"
        if kind == 7:
            return f"https://www.facebook.com/{h}", f"facebook.com/{h}"
        return f"Instagram: {h}", h

    def address(self) -> tuple[str, str]:
        street = self.pick(STREETS)
        n = self.r.randrange(1, 250)
        rt, rw = self.r.randrange(1, 25), self.r.randrange(1, 12)
        kind = self.r.randrange(22)
        lower = self.chance(0.2)
        forms = [
            f"Jl. {street} No. {n}", f"Jalan {street} No. {n}", f"Jln {street} Nomor {n}A", f"Jl {street} no {n}",
            f"jl. {street.lower()} no.{n}", f"jalan {street.lower()} {n}", f"Jl. {street} nomer {n}",
            f"Jl. {street} No. {n} RT {rt:02d}/RW {rw:02d}", f"RT {rt:02d}/RW {rw:02d}", f"RT/RW {rt:03d}/{rw:03d}",
            f"rt{rt} rw{rw}", f"RT.{rt:02d} RW.{rw:02d}", f"Gg. {self.pick(GANGS)}", f"gang {self.pick(GANGS)} {n}",
            f"{self.pick(ESTATES)} Blok {self.pick('ABCDEFGH')}{self.r.randrange(1, 9)}/{n % 20 + 1}",
            f"Blok {self.pick('ABCDEFGH')}{self.r.randrange(1, 9)} No {n % 30 + 1}",
            f"{self.pick(ESTATES)} Blok {self.pick('ABCDEFGH')} No. {n % 40 + 1}",
            f"Jl. {street} Gg. {self.pick(GANGS)} No. {n % 50 + 1}", f"jln. {street.lower()}, no {n}",
            f"JL. {street.upper()} NO. {n}", f"Jl.{street} No.{n}", f"Jalan {street} Nomor {n}, RT {rt} RW {rw}",
        ]
        value = forms[kind]
        if lower and kind not in (4, 5, 10, 18):
            value = value.lower()
        frame = self.pick(["Rumah saya di {v}", "Alamat: {v}", "alamat saya {v}", "tinggal di {v}", "di {v}",
                           "beralamat di {v}", "rumah kami {v}", "Domisili {v}", "{v}", "kediaman saya di {v}",
                           "dekat rumah saya di {v}"])
        return frame.format(v=value), value

    def reporter_mention(self, first: str, last: str, full: str) -> tuple[str, list[str]]:
        f = VARIANTS.get(first, [first]) if self.chance(0.3) else [first]
        first_variant = self.pick(f)
        forms = [
            (f"Saya {full}, warga setempat.", [full]), (f"Nama saya {full.upper()}.", [full.upper()]),
            (f"Pelapor: {full}.", [full]), (f"Dengan hormat, saya {first} melapor.", [first]),
            (f"saya, {first}, warga {self.pick(PLACES)},", [first]), (f"Perkenalkan, nama saya {full.lower()}.",
                [full.lower()]),
            (f"Saya {first_variant} {last} ingin mengadu.", [f"{first_variant} {last}"]),
            (f"Assalamualaikum, saya {full}.", [full]), (f"Yth. Bapak/Ibu, saya bernama {full}", [full]),
            (f"SAYA {full.upper()} MELAPORKAN", [full.upper()]), (f"Nama: {full}", [full]),
            (f"saya {first_variant.rstrip('.')} dari {self.pick(PLACES)}", [first_variant.rstrip('.')])
            if not first_variant.endswith(".") else (f"Saya {first_variant} {last}.", [f"{first_variant} {last}"]),
        ]
        return self.pick(forms)

    def sign_off(self, first: str, last: str, full: str, named: bool) -> tuple[str, list[str]]:
        if named and self.chance(0.2):  # only the reporter's name tells these apart
            return self.pick([(f"{last} menunggu kabar.", [last]), (f"Keluarga {first} sudah lelah.", [first]),
                              (f"{first.lower()} sudah lapor 3 kali", [first.lower()])])
        return self.pick([
            (f"Terima kasih, {first}.", [first]), ("Mohon segera ditindaklanjuti.", []),
            (f"Hormat saya,\n{full}", [full]), (f"Salam, {first} {last[0]}.", [first]), (f"ttd {full}", [full]),
            ("Terima kasih atas perhatiannya.", []), (f"Wassalam, {first}", [first]), ("Tolong dibantu ya pak.", []),
            (f"-- {full}", [full]),
        ])

    def other_person(self) -> tuple[str, str]:
        name = self.pick(OTHER_PEOPLE)
        if self.chance(0.35):
            name = f"{name} {self.pick(OTHER_LAST)}"
        hon = self.pick(HONORIFICS)
        frame = self.pick(["{h} {n} petugas di sana tidak mau membantu", "sudah lapor ke {h} {n} tapi tidak ditanggapi",
                           "menurut {h} {n}, berkas hilang", "oknum bernama {n} meminta uang",
                           "tetangga saya {n} juga terdampak", "anak saya, {n}, tidak bisa sekolah",
                           "{h} {n} bilang tunggu saja", "istri saya {n} sakit", "kata {h} {n}"])
        return frame.format(h=hon, n=name), name


def _apply_noise(g: Gen, text: str, protected: list[str]) -> str:
    """Double spaces, a no-break space, a zero-width space, outside planted values and must-stay strings."""
    guard = bytearray(len(text))
    for value in protected:
        for m in re.finditer(re.escape(value), text):
            guard[max(0, m.start() - 1):m.end() + 1] = b"\1" * (min(len(text), m.end() + 1) - max(0, m.start() - 1))
    spots = [i for i, c in enumerate(text) if c == " " and not guard[i]]
    letters = [i for i, c in enumerate(text) if c == "a" and not guard[i]]
    edits: dict[int, str] = {}
    if spots and g.chance(0.15):
        for i in g.r.sample(spots, k=min(2, len(spots))):
            edits[i] = "  "
    if spots and g.chance(0.1):
        edits[g.pick(spots)] = "\u00a0"
    if letters and g.chance(0.08):
        edits[g.pick(letters)] = "a\u200b"
    return "".join(edits.get(i, c) for i, c in enumerate(text))


def generate(n: int = 400, seed: int = 2026) -> list[Labelled]:
    g = Gen(seed)
    items: list[Labelled] = []
    kinds = list(COMPLAINTS)
    while len(items) < n:
        kind = kinds[len(items) % len(kinds)]
        first, last = g.pick(FIRST), g.pick(LAST)
        full = f"{first} {last}"
        v = {"street_pub": g.pick(PUBLIC_STREETS), "date": g.date(), "date_num": g.date_num(),
            "cm": str(g.r.randrange(10, 150)),
             "n": str(g.r.randrange(2, 480)), "n2": str(g.r.randrange(2, 9)),
                 "km": f"{g.r.randrange(1, 30)},{g.r.randrange(1, 9)}",
             "km_int": str(g.r.randrange(1, 20)), "km_int2": str(g.r.randrange(21, 40)), "m": str(g.r.randrange(2,
                 500)),
             "days": str(g.r.randrange(2, 60)), "time": g.time(), "time2": g.time(), "amount": g.amount(),
             "amount_short": g.pick(["1,5 juta", "500 ribu", "2 jt", "750rb", "1.5jt", "25.000"]),
             "amount_small": g.pick(["7.000", "5.000", "10.000"]), "agency": g.pick(AGENCIES), "place": g.pick(PLACES),
             "landmark": g.pick(LANDMARKS), "landmark2": g.pick(LANDMARKS), "reg": g.pick(REGULATIONS),
             "month": g.pick(MONTHS), "year": str(g.pick([2023, 2024, 2025])), "grade": str(g.r.randrange(1, 12)),
             "role": g.pick(ROLES_KEEP)}
        template = g.pick(COMPLAINTS[kind])
        body = template.format(**v)
        keep = [v[k] for k in ("date", "date_num", "time", "time2", "agency", "place", "landmark", "landmark2", "reg",
                               "role", "street_pub", "amount", "amount_short", "amount_small", "m", "cm", "km")
                if "{" + k + "}" in template]
        if "{n}" in template:
            keep.append(v["n"])
        pii: list[dict] = []
        names: list[str] = []
        anonymous = g.chance(0.25)
        parts = []
        if not anonymous or g.chance(0.4):  # an anonymous reporter may still introduce themself
            intro, values = g.reporter_mention(first, last, full)
            parts.append(intro)
            pii += [{"class": "name", "value": x} for x in values]
        if not anonymous:
            names = [g.pick([full, full, full.upper(), f"{first}  {last}", full.lower()])]
        parts.append(body)
        classes = g.r.sample(["nik", "kk", "phone", "email", "plate", "account", "npwp", "bpjs", "handle", "address",
                              "address", "other", "other", "phone"], k=g.r.randrange(2, 6))
        for c in classes:
            if c in ("nik", "kk"):
                text, value = g.nik(kk=c == "kk")
                pii.append({"class": "nik", "value": value})
            elif c == "phone":
                text, value = g.phone()
                if value is None:
                    pii.append({"class": "phone", "value": text.split("/", 1)[1]})
                else:
                    pii.append({"class": "phone", "value": value})
            elif c == "email":
                text, value = g.email(first, last)
                pii.append({"class": "email", "value": value})
            elif c == "plate":
                text, value = g.plate()
                text = g.pick(["Ada {x} parkir di bahu jalan setiap hari.", "Pelakunya naik {x}.",
                               "{x} milik oknum sering ngebut.", "Tolong tindak {x}."]).format(x=text)
                pii.append({"class": "plate", "value": value})
            elif c == "account":
                text, value, holder = g.account(first, last)
                text = g.pick(["Kami diminta transfer ke {x}.", "Uang dikirim lewat {x}.", "Dana bantuan masuk ke {x}?",
                               "Pungutan dibayar ke {x}"]).format(x=text)
                pii.append({"class": "account", "value": value})
                if holder:
                    pii.append({"class": "name", "value": holder})
            elif c == "npwp":
                text, value = g.npwp()
                text = g.pick(["Data usaha: {x}.", "Berkas lengkap termasuk {x}.",
                    "{x} sudah saya lampirkan."]).format(x=text)
                pii.append({"class": "npwp", "value": value})
            elif c == "bpjs":
                text, value = g.bpjs()
                text = g.pick(["Saya peserta {x} tapi ditolak.", "{x} aktif, dicek saja.",
                    "Ibu saya punya {x}."]).format(x=text)
                pii.append({"class": "bpjs", "value": value})
            elif c == "handle":
                text, value = g.handle(first, last)
                text = g.pick(["Video kejadian ada di {x}.", "Bisa DM ke {x}",
                    "Sudah saya posting di {x}."]).format(x=text)
                pii.append({"class": "handle", "value": value})
            elif c == "address":
                text, value = g.address()
                text = g.pick(["{x}.", "{x}, dekat masjid.", "{x} kebanjiran juga.",
                    "Mohon cek ke {x}."]).format(x=text)
                text = text[0].upper() + text[1:] if g.chance(0.7) else text
                pii.append({"class": "address", "value": value})
            else:
                text, value = g.other_person()
                text = text[0].upper() + text[1:] + "."
                pii.append({"class": "name", "value": value})
            parts.append(text)
        if g.chance(0.6):
            closing, values = g.sign_off(first, last, full, bool(names))
            parts.append(closing)
            pii += [{"class": "name", "value": x} for x in values]
        if g.chance(0.3):
            extra_keep = g.pick([g.pick(ROLES_KEEP) + " tolong ditindak.", f"Sesuai {g.pick(REGULATIONS)}.",
                                 f"Kejadian sejak {g.date_num()} pukul {g.time()}.",
                                     f"Sudah lapor ke {g.pick(AGENCIES)}."])
            parts.insert(g.r.randrange(1, len(parts) + 1), extra_keep)
            keep.append(extra_keep.rstrip("."))
        if g.chance(0.3):
            g.r.shuffle(parts)
        sep = g.pick([" ", " ", " ", "\n", "  "])
        text = _apply_noise(g, sep.join(parts), [p["value"] for p in pii] + keep)
        if g.chance(0.1):
            text = text.lower()
            keep = [k.lower() for k in keep]
            for p in pii:
                p["value"] = p["value"].lower()
        item = Labelled(id=f"gen-{len(items):03d}", text=text, names=names, pii=pii, keep=keep)
        if _consistent(item):
            items.append(item)
    return items


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).lower()


def _consistent(item: Labelled) -> bool:
    """A generated item is kept only if its labels can be checked: every value is in the text, no must-stay
    string contains a planted value's words, and a planted name's words appear nowhere else."""
    text = item.text
    for p in item.pii:
        if p["value"] not in text and _norm(p["value"]) not in _norm(text):
            return False
    words = {w.lower() for p in item.pii for w in re.findall(r"[^\W\d_]{3,}", p["value"])
             if p["class"] in ("name", "address", "handle", "email")} - _LABEL_WORDS
    names = {w.lower() for n in item.names for w in re.findall(r"[^\W\d_]{3,}", n)}
    for k in item.keep:
        kw = {w.lower() for w in re.findall(r"[^\W\d_]{3,}", k)}
        if kw & (words | names) or any(_norm(p["value"]) in _norm(k) or _norm(k) in _norm(p["value"])
                                       for p in item.pii):
            return False
    return True


# Complaints written as people write them, with forms the generator does not make.
HANDWRITTEN: list[dict] = [
    {"text": "Assalamualaikum. sy mau lapor, lampu jalan di Jl. Danau Dendam Sipin padam sdh 2 minggu. "
             "kl ada petugas yg mau cek bisa wa ke 0812 7300 4411 (bu Yanti). makasih",
     "names": [], "pii": [{"class": "phone", "value": "0812 7300 4411"}, {"class": "name", "value": "Yanti"}],
     "keep": ["Jl. Danau Dendam Sipin padam", "2 minggu"]},
    {"text": "Tolong Pak Camat Selebar, jalan di depan SDN 56 berlubang, sudah 3 anak jatuh. Nama saya Hendri "
             "Kusuma, rumah saya persis di depan sekolah, no hp 0852-6777-1203.",
     "names": ["Hendri Kusuma"], "pii": [{"class": "name", "value": "Hendri Kusuma"},
                                          {"class": "phone", "value": "0852-6777-1203"}],
     "keep": ["Pak Camat Selebar", "SDN 56", "3 anak"]},
    {"text": "Air PDAM Tirta Dharma tidak mengalir sejak 12/05/2024. Pelanggan atas nama SUMARNI, id pelanggan "
             "0102030456, alamat Jl. Jati No. 27 RT 4 RW 2 Kel. Sawah Lebar. Tagihan tetap Rp 87.500.",
     "names": [], "pii": [{"class": "name", "value": "SUMARNI"}, {"class": "account", "value": "0102030456"},
                          {"class": "address", "value": "Jl. Jati No. 27 RT 4 RW 2"}],
     "keep": ["PDAM Tirta Dharma", "12/05/2024", "Rp 87.500", "Kel. Sawah Lebar"]},
    {"text": "Saya Rahmat Hidayat, NIK3271012345678901, KK: 3271012345678902. Bansos BPNT saya dihentikan padahal "
             "saya janda... eh maksudnya ibu saya janda. Cek saja.",
     "names": ["Rahmat Hidayat"], "pii": [{"class": "name", "value": "Rahmat Hidayat"},
                                          {"class": "nik", "value": "3271012345678901"},
                                          {"class": "nik", "value": "3271012345678902"}],
     "keep": ["Bansos BPNT"]},
    {"text": "Mohon ditindak truk pasir BD 8812 AE yang tiap malam lewat jam 23.00, jalan Kolonel Barlian jadi "
             "retak sepanjang 200 meter. Sesuai Perda No. 5 Tahun 2019 truk dilarang lewat.",
     "names": ["Yogi"], "pii": [{"class": "plate", "value": "BD 8812 AE"}],
     "keep": ["jam 23.00", "jalan Kolonel Barlian jadi retak", "200 meter", "Perda No. 5 Tahun 2019"]},
    {"text": "pungli di kantor kelurahan! sy diminta 150rb utk surat domisili, disuruh tf ke rek bri "
             "0123-01-012345-50-1 a.n. Sdr. Joni Iskandar. buktinya ada, dm ig @warga_bkl_resah",
     "names": [], "pii": [{"class": "account", "value": "0123-01-012345-50-1"},
                          {"class": "name", "value": "Joni Iskandar"}, {"class": "handle",
                              "value": "@warga_bkl_resah"}],
     "keep": ["150rb", "kantor kelurahan"]},
    {"text": "Yth Dinas Kesehatan, anak saya Aisyah (5 th) ditolak di Puskesmas Jembatan Kecil karena BPJS "
             "0001234567890 katanya nonaktif. Padahal iuran dibayar tiap bulan Rp 35.000. Ibu Kepala Puskesmas "
             "tidak ada di tempat.",
     "names": ["Nurhayati"], "pii": [{"class": "name", "value": "Aisyah"}, {"class": "bpjs", "value": "0001234567890"}],
     "keep": ["Dinas Kesehatan", "Puskesmas Jembatan Kecil", "Rp 35.000", "Ibu Kepala Puskesmas"]},
    {"text": "Banjir lagi!!! Perumahan Bumi Ayu Permai Blok F3 No. 11 sampai 14 terendam 60 cm. Sdh lapor ke "
             "BPBD jam 02.30 dini hari tp tdk ada yg datang. Hub. 0736-347 221",
     "names": ["Dodi"], "pii": [{"class": "address", "value": "Blok F3 No. 11"}, {"class": "phone",
         "value": "0736-347 221"}],
     "keep": ["60 cm", "BPBD", "jam 02.30"]},
    {"text": "Laporan: kabel PLN putus di gang Sepakat RT 07 Kel. Kebun Geran. Pelapor Sdri. Maya Anggraini, "
             "e-mail maya.anggraini[at]yahoo[dot]co[dot]id, telp rumah (0736) 21234.",
     "names": ["Maya Anggraini"], "pii": [{"class": "address", "value": "gang Sepakat RT 07"},
                                          {"class": "name", "value": "Maya Anggraini"},
                                          {"class": "email", "value": "maya.anggraini[at]yahoo[dot]co[dot]id"},
                                          {"class": "phone", "value": "(0736) 21234"}],
     "keep": ["kabel PLN putus", "Kel. Kebun Geran"]},
    {"text": "Saya mau komplain soal PPDB SMAN 5. Anak saya Muhammad Fikri Alamsyah ditolak padahal rumah "
             "kami di jalan pariwisata 9, hanya 800 m dari sekolah. Kontak: fikri.ayah@gmail.com",
     "names": ["M. Alamsyah"], "pii": [{"class": "name", "value": "Muhammad Fikri Alamsyah"},
                                        {"class": "address", "value": "jalan pariwisata 9"},
                                        {"class": "email", "value": "fikri.ayah@gmail.com"}],
     "keep": ["PPDB SMAN 5", "800 m"]},
    {"text": "Izin keramaian untuk hajatan tanggal 20-08-2025 dipersulit di Polsek, padahal sudah bayar Rp1,5 juta. "
             "Saya, Wahyuni, warga Pagar Dewa. WA: +62 813-6700-2121",
     "names": [], "pii": [{"class": "name", "value": "Wahyuni"}, {"class": "phone", "value": "+62 813-6700-2121"}],
     "keep": ["20-08-2025", "Rp1,5 juta", "Pagar Dewa"]},
    {"text": "LAMPU PJU DI SIMPANG LIMA MATI SEMUA SEJAK TGL 3. NAMA SAYA ERWIN SYAHPUTRA HP 081373884455",
     "names": ["Erwin Syahputra"], "pii": [{"class": "name", "value": "ERWIN SYAHPUTRA"},
                                            {"class": "phone", "value": "081373884455"}],
     "keep": ["SIMPANG LIMA"]},
    {"text": "Bus Trans Bencoolen jurusan Panorama telat 45 menit. Sopirnya, Pak Darmin, malah marah-marah. "
             "Nomor bus BD 7014 A. Saya penumpang tetap, ig: darmawan.bkl",
     "names": ["Darmawan"], "pii": [{"class": "name", "value": "Darmin"}, {"class": "plate", "value": "BD 7014 A"},
                                    {"class": "handle", "value": "darmawan.bkl"}],
     "keep": ["45 menit", "Trans Bencoolen"]},
    {"text": "Tagihan listrik naik 3x lipat. No. meter 32123456789, ID pel 171234567890. Saya tinggal di "
             "Komplek Unib Permai blok C no 5 sejak 2010.",
     "names": ["Rosa"], "pii": [{"class": "account", "value": "32123456789"}, {"class": "account",
         "value": "171234567890"},
                                {"class": "address", "value": "blok C no 5"}],
     "keep": ["3x lipat", "2010"]},
    {"text": "Dear admin, sampah di TPS Pasar Minggu sdh 5 hari ga diangkut. Kalau perlu foto, WA aja ke "
             "nol delapan ... eh maksud saya 0811-7334-990. Thx, Lia",
     "names": ["Lia Marlina"], "pii": [{"class": "phone", "value": "0811-7334-990"}, {"class": "name", "value": "Lia"}],
     "keep": ["TPS Pasar Minggu", "5 hari"]},
    {"text": "Jalan Sudirman berlubang di depan Bank BRI, sudah 2 minggu. Terima kasih Bapak Walikota.",
     "names": ["Slamet"], "pii": [], "keep": ["Jalan Sudirman berlubang", "Bank BRI", "2 minggu", "Bapak Walikota"]},
    {"text": "Pembangunan drainase di Jalan Lingkar Barat km 12 mangkrak, anggaran Rp 1.500.000.000 sesuai "
             "papan proyek. Kontraktor CV Maju Jaya. UU No. 14 Tahun 2008 menjamin hak kami atas informasi.",
     "names": [], "pii": [], "keep": ["Jalan Lingkar Barat km 12", "Rp 1.500.000.000", "CV Maju Jaya",
                                      "UU No. 14 Tahun 2008"]},
    {"text": "Nama: Yusri Efendi\nAlamat: Jl. Merapi Raya No 3A, RT.011/RW.003, Kel. Kebun Kenanga\nHP: 0853 "
             "8100 2233\nIsi: sumur bor bantuan desa tidak berfungsi sejak 01/02/2025.",
     "names": ["Yusri Efendi"], "pii": [{"class": "name", "value": "Yusri Efendi"},
                                        {"class": "address", "value": "Jl. Merapi Raya No 3A, RT.011/RW.003"},
                                        {"class": "phone", "value": "0853 8100 2233"}],
     "keep": ["Kel. Kebun Kenanga", "01/02/2025"]},
    {"text": "Guru honorer belum digaji 4 bulan. Kami sudah menghadap Ibu Kepala Dinas Pendidikan tanggal "
             "15 Maret 2025 pukul 09.00. Perwakilan kami Ibu Hj. Rosmawati, S.Pd.",
     "names": [], "pii": [{"class": "name", "value": "Rosmawati"}],
     "keep": ["4 bulan", "Ibu Kepala Dinas Pendidikan", "15 Maret 2025", "pukul 09.00"]},
    {"text": "Parkir liar di Pasar Panorama, juru parkir minta Rp 5.000 per motor. Dia pakai motor bd 3321 kf, "
             "namanya Anton.",
     "names": [], "pii": [{"class": "plate", "value": "bd 3321 kf"}, {"class": "name", "value": "Anton"}],
     "keep": ["Pasar Panorama", "Rp 5.000"]},
    {"text": "Saya warga Kecamatan Ratu Agung mau tanya kenapa KTP-el saya belum jadi sejak 2 bulan. "
             "NIK 1771 0203 9988 0001. Email: ratuagung.warga at gmail dot com",
     "names": [], "pii": [{"class": "nik", "value": "1771 0203 9988 0001"},
                          {"class": "email", "value": "ratuagung.warga at gmail dot com"}],
     "keep": ["Kecamatan Ratu Agung", "2 bulan"]},
    {"text": "Pak RT dan Pak Lurah sudah tahu soal sampah ini tapi diam saja. Saya sudah lapor sejak 2023. "
             "Saya sudah capek.",
     "names": [], "pii": [], "keep": ["Pak RT", "Pak Lurah", "2023", "Saya sudah capek"]},
    {"text": "Tetangga saya bernama Ujang Supriatna bakar sampah tiap sore di halaman, asapnya masuk rumah. "
             "Rumah dia di gg. duku no 8.",
     "names": ["Eka"], "pii": [{"class": "name", "value": "Ujang Supriatna"}, {"class": "address",
         "value": "gg. duku no 8"}],
     "keep": ["tiap sore"]},
    {"text": "Sertifikat tanah diurus lewat calo, katanya kenal orang dalam BPN. "
             "Nomornya 0821\u201277\u201266\u201255\u201244 "
             "(mas Bayu). Saya bayar 2 jt di Simpang Skip.",
     "names": [], "pii": [{"class": "phone", "value": "0821\u201277\u201266\u201255\u201244"},
                          {"class": "name", "value": "Bayu"}],
     "keep": ["2 jt", "Simpang Skip", "BPN"]},
    {"text": "Jam operasional Dukcapil 08.00-14.00 tapi jam 10 loket sudah tutup. Sudah antre sejak 06.30. "
             "Tolong Bapak Kadis Dukcapil perhatikan. Pelapor: M. Rizki (0896 1234 5678)",
     "names": ["Muhammad Rizky"], "pii": [{"class": "name", "value": "M. Rizki"},
                                          {"class": "phone", "value": "0896 1234 5678"}],
     "keep": ["08.00-14.00", "06.30", "Bapak Kadis Dukcapil"]},
    {"text": "Pemadaman bergilir di Curup tiap hari 4 jam. Rumah saya di Jl. Basuki Rahmat gang 3 no. 14, "
             "kulkas rusak. Kontak saya: tlp.0732-21345.",
     "names": ["Ratna"], "pii": [{"class": "address", "value": "Jl. Basuki Rahmat gang 3 no. 14"},
                                 {"class": "phone", "value": "0732-21345"}],
     "keep": ["Curup", "4 jam"]},
    {"text": "Kami dari Kelompok Tani Maju Bersama, Desa Taba Penanjung. Pupuk subsidi 50 kg dijual Rp 250.000. "
             "Ketua kelompok Bapak Sukirman bisa dihubungi di 0823.7788.9900.",
     "names": [], "pii": [{"class": "name", "value": "Sukirman"}, {"class": "phone", "value": "0823.7788.9900"}],
     "keep": ["Kelompok Tani Maju Bersama", "Desa Taba Penanjung", "50 kg", "Rp 250.000"]},
    {"text": "Lapor! Mobil dinas BD 1 A dipakai belanja di mall hari Minggu 14-07-2024 jam 13.15. Foto ada di "
             "tiktok @pantau.bengkulu",
     "names": [], "pii": [{"class": "plate", "value": "BD 1 A"}, {"class": "handle", "value": "@pantau.bengkulu"}],
     "keep": ["14-07-2024", "jam 13.15"]},
    {"text": "Kak Ratih dari Dinas Sosial bilang data DTKS saya sudah diperbarui, tapi bansos tetap tidak masuk "
             "ke rekening BSI 7123456789 saya.",
     "names": ["Suparman"], "pii": [{"class": "name", "value": "Ratih"}, {"class": "account", "value": "7123456789"}],
     "keep": ["Dinas Sosial", "DTKS"]},
    {"text": "Mohon perbaikan pipa di Perum Griya Indah Blok C2/5. Air meluap ke jalan setiap pagi. "
             "Kontak WA0812-7733-1100 (Bu Siska)",
     "names": [], "pii": [{"class": "address", "value": "Blok C2/5"}, {"class": "phone", "value": "0812-7733-1100"},
                          {"class": "name", "value": "Siska"}],
     "keep": ["setiap pagi"]},
    {"text": "Sdr. Andika Pratama (penjaga sekolah) sering minta uang Rp 2.000 ke murid. SD di Jalan Mahoni.",
     "names": [], "pii": [{"class": "name", "value": "Andika Pratama"}],
     "keep": ["Rp 2.000", "Jalan Mahoni"]},
    {"text": "rumah sy di jalan mawar 12 rt3 rw5 kebanjiran terus tiap hujan deras, tolong dinas pupr kota bengkulu",
     "names": ["intan"], "pii": [{"class": "address", "value": "jalan mawar 12 rt3 rw5"}],
     "keep": ["dinas pupr kota bengkulu"]},
    {"text": "Anak saya dapat beasiswa PIP tapi uangnya ditahan sekolah. NISN 0123456789. Saya bisa dihubungi "
             "lewat email: budi_s(at)yahoo.co.id atau fb.com/budi.santoso.77",
     "names": ["Budi Santoso"], "pii": [{"class": "account", "value": "0123456789"},
                                        {"class": "email", "value": "budi_s(at)yahoo.co.id"},
                                        {"class": "handle", "value": "fb.com/budi.santoso.77"}],
     "keep": ["beasiswa PIP"]},
    {"text": "Sudah 3 kali lapor ke 112 soal pohon tumbang di Jalan Ahmad Yani, belum ada yang datang. Kejadian "
             "pukul 16.45.",
     "names": [], "pii": [], "keep": ["3 kali", "112", "Jalan Ahmad Yani", "pukul 16.45"]},
    {"text": "Yth. Bapak Gubernur, saya Nyoman, perantau dari Bali, tinggal di Jln. Halmahera No 45, "
             "Kel. Lingkar Timur. Jalan di sana gelap total.",
     "names": [], "pii": [{"class": "name", "value": "Nyoman"}, {"class": "address", "value": "Jln. Halmahera No 45"}],
     "keep": ["Bapak Gubernur", "Kel. Lingkar Timur"]},
    {"text": "Oknum petugas Satpol PP bernama Hasanuddin memungut Rp 20.000 dari pedagang kaki lima di Pantai "
             "Panjang setiap Sabtu.",
     "names": [], "pii": [{"class": "name", "value": "Hasanuddin"}],
     "keep": ["Satpol PP", "Rp 20.000", "Pantai Panjang"]},
    {"text": "Permohonan PBG no. 503/123/DPMPTSP/2024 belum diproses. Pemohon a/n CV Berkah. PIC: Tono "
             "(0812 6600 7711).",
     "names": [], "pii": [{"class": "name", "value": "Tono"}, {"class": "phone", "value": "0812 6600 7711"}],
     "keep": ["503/123/DPMPTSP/2024"]},
    {"text": "Kakak saya, Melati Putri, pasien RSUD M. Yunus, disuruh pulang padahal belum sembuh. Kamar 12, "
             "ruang Mawar.",
     "names": [], "pii": [{"class": "name", "value": "Melati Putri"}],
     "keep": ["RSUD M. Yunus", "Kamar 12"]},
    # written after the scrubber was tuned (a held-out check: one miss, "(Andre)", fixed since)
    {"text": "Selamat siang, saya Yopi Hermansyah warga Kel. Betungan. Saluran di depan rumah no 7 mampet, no wa "
             "0821 7788 1122.", "names": ["Yopi Hermansyah"],
     "pii": [{"class": "name", "value": "Yopi Hermansyah"}, {"class": "address", "value": "no 7"},
             {"class": "phone", "value": "0821 7788 1122"}], "keep": ["Kel. Betungan"]},
    {"text": "Lapor pak, ada pungli di Samsat, diminta 300rb sama oknum bernama Pak Herman. "
             "plat motor saya BD 6655 CT.",
     "names": [], "pii": [{"class": "name", "value": "Herman"}, {"class": "plate", "value": "BD 6655 CT"}],
     "keep": ["300rb", "Samsat"]},
    {"text": "Kepada Yth Dinas Perhubungan, lampu merah simpang Rawa Makmur mati. Pelapor Sdri Nofri Yanti hp: "
             "0852-1234-5678", "names": [],
     "pii": [{"class": "name", "value": "Nofri Yanti"}, {"class": "phone", "value": "0852-1234-5678"}],
     "keep": ["Dinas Perhubungan", "simpang Rawa Makmur"]},
    {"text": "Kami warga Perumahan Citra Lestari Blok D-14 mohon perbaikan jalan. CP: Bu Ema (0823 1111 2233)",
     "names": [], "pii": [{"class": "address", "value": "Blok D-14"}, {"class": "name", "value": "Ema"},
                          {"class": "phone", "value": "0823 1111 2233"}], "keep": ["mohon perbaikan jalan"]},
    {"text": "nama: afrizal, nik 1771 0411 0990 0003, alamat jl. kinibalu 8 rt 02 rw 01 kel. kebun tebeng",
     "names": [], "pii": [{"class": "name", "value": "afrizal"}, {"class": "nik", "value": "1771 0411 0990 0003"},
                          {"class": "address", "value": "jl. kinibalu 8 rt 02 rw 01"}], "keep": ["kel. kebun tebeng"]},
    {"text": "Bantuan PKH istri saya, Lusiana, sudah 3 bulan tidak masuk ke rek BRI 5678-01-002233-53-9.",
     "names": ["Dedi Irawan"], "pii": [{"class": "name", "value": "Lusiana"},
                                       {"class": "account", "value": "5678-01-002233-53-9"}], "keep": ["3 bulan"]},
    {"text": "Email sy: rudy.hartono123 at gmail.com, ig @rudy_hrt. Jalan Hibrida Raya banjir tiap hujan.",
     "names": [], "pii": [{"class": "email", "value": "rudy.hartono123 at gmail.com"},
                          {"class": "handle", "value": "@rudy_hrt"}], "keep": ["Jalan Hibrida Raya banjir"]},
    {"text": "Mohon pak Walikota tinjau sekolah SDN 20. Guru honorer a.n. Sri Mulyati belum gajian 4 bulan.",
     "names": [], "pii": [{"class": "name", "value": "Sri Mulyati"}], "keep": ["pak Walikota", "SDN 20", "4 bulan"]},
    {"text": "Telp/WA: 0813-6900-1122 (Andre). Rumah di Gang Kelapa II No.3 RT.005.", "names": [],
     "pii": [{"class": "phone", "value": "0813-6900-1122"}, {"class": "name", "value": "Andre"},
             {"class": "address", "value": "Gang Kelapa II No.3 RT.005"}], "keep": []},
    {"text": "saya bernama ahmad zaki, tinggal di jalan cempaka putih 45, no hp 081373001100", "names": ["Ahmad Zaki"],
     "pii": [{"class": "name", "value": "ahmad zaki"}, {"class": "address", "value": "jalan cempaka putih 45"},
             {"class": "phone", "value": "081373001100"}], "keep": []},
    {"text": "Harga tiket bus Bengkulu-Curup naik jadi Rp 75 ribu. Hubungi saya di +62 (0)821 1234 9876 kalau "
             "perlu info.",
     "names": ["Febri"], "pii": [{"class": "phone", "value": "+62 (0)821 1234 9876"}],
     "keep": ["Rp 75 ribu"]},
]


def handwritten() -> list[Labelled]:
    return [Labelled(id=f"hand-{i:03d}", **entry) for i, entry in enumerate(HANDWRITTEN)]


def write(path: Path = DATA) -> int:
    items = generate() + handwritten()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item.__dict__, ensure_ascii=False) + "\n")
    return len(items)


# --- the earlier generated corpus (kept: tests/integration/test_redaction_pipeline.py runs it end to end) -----
# `corpus(n, seed)` gives Items (text, reporter name, planted strings and digit strings that must not appear,
# ordinary numbers that must); `leaks(item, output)` says what of them is still in an output.

_LEGACY_NAMES = ["Siti Aminah", "Budi Santoso", "Rahmat Hidayat", "Dewi Lestari", "Ahmad Fauzi", "Nur Aini",
         "Yusuf Maulana", "Rina Marlina", "Eko Prasetyo", "Ani Suryani", "Hendra Gunawan", "Sri Wahyuni",
         "Agus Salim", "Fitri Handayani", "Joko Susilo", "Mega Puspita", "Taufik Rahman", "Wulan Sari",
         "Irfan Hakim", "Lina Marlina", "Darmawan Saputra", "Yuliana Putri", "Bambang Irawan", "Ratna Dewi"]
_LEGACY_STREETS = ["Merpati", "Salak Raya", "Soekarno Hatta", "Ahmad Yani", "Letjen Suprapto", "Danau Dendam",
           "Kapuas Raya", "Pariwisata", "Sudirman", "Adam Malik", "Jenggalu", "Bhayangkara"]
_LEGACY_MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
_LEGACY_COMPLAINTS = [
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


def _legacy_nik(rng: random.Random) -> str:
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


def _legacy_phone(rng: random.Random) -> str:
    rest = "".join(rng.choice("0123456789") for _ in range(rng.choice([8, 9])))
    mobile = "8" + rng.choice("1235789") + rest
    style = rng.randrange(8)
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    return [f"0{mobile}", f"0{a}-{b}-{c}", f"0{a} {b} {c}", f"+62 {a} {b} {c}", f"+62{mobile}", f"62{a}-{b}-{c}",
            f"(0736) {rest[:5]}", f"0736-{rest[:6]}"][style]


def _legacy_address(rng: random.Random) -> str:
    street, number = rng.choice(_LEGACY_STREETS), rng.randrange(1, 200)
    rt, rw = rng.randrange(1, 20), rng.randrange(1, 10)
    return rng.choice([f"Jl. {street} No. {number}", f"Jalan {street} No. {number}",
                       f"Jln {street} Nomor {number}A", f"Gg. {street} RT {rt:02d}/RW {rw:02d}",
                       f"Jl. {street} No. {number} RT.{rt:03d} RW.{rw:03d}"])


def corpus(n: int = 200, seed: int = 311) -> list[Item]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name = _LEGACY_NAMES[i % len(_LEGACY_NAMES)]
        first, last = name.split()[0], name.split()[-1]
        values = {"km": f"{rng.randrange(2, 30)},{rng.randrange(1, 9)}", "date": f"{rng.randrange(1, 28)} "
                  f"{rng.choice(_LEGACY_MONTHS)} {rng.choice([2025, 2026])}", "n": str(rng.randrange(12, 480)),
                  "cm": str(rng.randrange(20, 150)), "days": str(rng.randrange(3, 40)),
                  "time": f"{rng.randrange(17, 23)}.{rng.choice(['00', '15', '30', '45'])}",
                  "amount": f"{rng.randrange(50, 950)}.000", "m": str(rng.randrange(20, 120)),
                  "grade": str(rng.randrange(7, 12))}
        complaint = rng.choice(_LEGACY_COMPLAINTS)
        body = complaint.format(**values)
        ordinary = [values[k] for k in ("date", "n", "amount", "time", "days") if "{" + k + "}" in complaint]
        item = Item(text="", name=name, ordinary=ordinary)
        parts = [rng.choice([f"Saya {name}, warga setempat.", f"Nama saya {name.upper()}.", f"Pelapor: {name}.",
                             f"Dengan hormat, saya {first} melapor."]), body]
        item.planted += [name, first, last] if len(first) >= 3 else [name, last]
        for kind in rng.sample(["nik", "phone", "email", "address", "kk"], k=rng.randrange(2, 5)):
            if kind in ("nik", "kk"):
                value = _legacy_nik(rng)
                parts.append(rng.choice([f"NIK saya {value}.", f"No. KK: {value}", f"KTP {value}"]) if kind == "nik"
                             else f"Nomor KK {value}.")
                item.planted.append(value)
                item.digits.append("".join(ch for ch in value if ch.isdigit()))
            elif kind == "phone":
                value = _legacy_phone(rng)
                parts.append(rng.choice([f"Hubungi saya di {value}.", f"WA: {value}", f"HP {value} (sore)."]))
                item.planted.append(value)
                item.digits.append("".join(ch for ch in value if ch.isdigit()))
            elif kind == "email":
                host = rng.choice(["gmail.com", "yahoo.co.id"])
                value = f"{first.lower()}.{last.lower()}{rng.randrange(1, 99)}@{host}"
                parts.append(f"Surel: {value}")
                item.planted.append(value)
            else:
                value = _legacy_address(rng)
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


if __name__ == "__main__":
    print(f"{write()} items written to {DATA}")
