"""Personal data out of free text, before anything is shown to the public.

`scrub(text, names)` replaces what identifies a person in Indonesian complaints:

- NIK and KK numbers: 16 digits, also written in groups with spaces, dots or dashes;
- phone numbers: +62 / 62 / 0 followed by 8-13 digits, with spaces, dots, dashes or brackets;
- e-mail addresses;
- street addresses: "Jl." / "Jln." and the street's name, "Jalan <Name> No. 12", house numbers
  ("No. 12", "Nomor 12A"), "RT 03 / RW 05" in its many spellings, "Gg./Gang <Name>";
- the reporter's own name (the whole name and each of its words of three letters or more), wherever it
  appears, in any case.

A road named without a house number ("jalan di depan pasar", "Jalan Kapuas berlubang") is the subject of
many complaints, not a person's home, and stays. Each kind has its own placeholder, so a reader still
knows something was there. The rules err on the side of removing: a 16-digit order number goes too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NIK = "[NIK]"
PHONE = "[telepon]"
EMAIL = "[email]"
ADDRESS = "[alamat]"
NAME = "[nama]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 16 digits, in groups of any size separated by one space, dot or dash.
_NIK = re.compile(r"(?<![\w])\d(?:[ .-]?\d){15}(?![\w])")
# +62 / 62 / 0, then more digits in groups (mobile 08xx-xxxx-xxxx, or an area code, also in brackets:
# (0736) 21234); counted as a phone only with 9-15 digits in all, so years and amounts stay.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+62|62|0)[ .-]?\(?\d{2,4}\)?|\(0\d{2,3}\))(?:[ .-]?\d{2,5}){1,4}(?![\w])")
_CAPITAL_WORDS = r"[A-Z0-9][\w'.-]*(?:\s+[A-Z0-9][\w'.-]*){0,4}"
_HOUSE_NUMBER = r"(?i:No|Nomor|Nmr)\.?\s*\d+[A-Za-z]?(?:\s*/\s*\d+)?"
_ADDRESS = re.compile("|".join([
    rf"\b(?i:jl|jln)\.?\s+{_CAPITAL_WORDS}(?:\s*,?\s*{_HOUSE_NUMBER})?",  # Jl. Salak, Jl. Salak No. 12
    rf"\b(?i:jalan)\s+{_CAPITAL_WORDS}\s*,?\s*{_HOUSE_NUMBER}",  # Jalan Salak No. 12
    rf"\b(?i:gg|gang)\.?\s+{_CAPITAL_WORDS}",  # Gg. Mawar
    rf"\b{_HOUSE_NUMBER}",  # No. 12
]))
_RT_RW = re.compile(r"\b(?i:rt)\.?\s*:?\s*\d{1,3}(?:\s*[/,]?\s*(?i:rw)\.?\s*:?\s*\d{1,3})?|\b(?i:rw)\.?\s*:?\s*\d{1,3}")


def _name_pattern(names: Iterable[str | None]) -> re.Pattern[str] | None:
    words: set[str] = set()
    for name in names:
        if not name:
            continue
        words.add(name.strip())
        words.update(w for w in re.split(r"[\s.,'-]+", name) if len(w) >= 3)
    words.discard("")
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _phone(match: re.Match[str], text: str) -> str:
    digits = len(re.sub(r"\D", "", match.group()))
    money = re.search(r"(?i:rp)\.?\s*$", text[max(0, match.start() - 4):match.start()])
    return PHONE if 9 <= digits <= 15 and not money else match.group()


def scrub(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """`text` with personal data replaced by placeholders; None stays None."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _NIK.sub(NIK, text)
    text = _PHONE.sub(lambda m: _phone(m, text), text)
    text = _ADDRESS.sub(ADDRESS, text)
    text = _RT_RW.sub(ADDRESS, text)
    pattern = _name_pattern(names)
    if pattern is not None:
        text = pattern.sub(NAME, text)
    return re.sub(r"\[alamat\](?:[\s,/]*\[alamat\])+", ADDRESS, text).strip()
