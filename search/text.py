"""Indonesian words for search: stems at index and at query time, and highlights in the original text.

The local stack's Elasticsearch has no language analyzers, so stemming happens here, with Sastrawi
(PySastrawi, dictionary-based: "diperbaiki" and "perbaikan" -> "baik", "persampahan" -> "sampah",
"kebanjiran" -> "banjir"). The stems of a text are indexed beside the text (`*_stems` fields, standard
analyzer), and a query is stemmed the same way, so words match across affixes. Each word is stemmed once
per process (an LRU cache): Sastrawi costs up to tens of milliseconds for a long unknown word; and each
text once, for the projection's documents (another cache).

Highlights are made here too, on the original text: a word is marked when its stem is one of the query's,
so "diperbaiki" lights up for a search of "perbaikan". Everything else is HTML-escaped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

_WORD = re.compile(r"\w+(?:-\w+)*")
MAX_QUERY_CHARS = 200


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of one lower-case word (digits and codes stay as they are)."""
    if not word.isalpha() and "-" not in word:
        return word
    return _stemmer().stem(word) or word


def words(text: str | None) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


@lru_cache(maxsize=4096)
def stems(text: str | None) -> str:
    """The stems of a text's words, space-separated: what the `*_stems` fields index. Kept per text: the
    projection writes a case's texts again at each of its events, and for both indices."""
    return " ".join(stem(w) for w in words(text))


def query_stems(query: str) -> list[str]:
    """The distinct stems of a query, in order (at most MAX_QUERY_CHARS of it are read)."""
    seen: dict[str, None] = {}
    for w in words(query[:MAX_QUERY_CHARS]):
        seen.setdefault(stem(w), None)
    return list(seen)


def highlight(text: str | None, wanted: list[str], width: int = 240) -> Markup:
    """An escaped snippet of `text` of about `width` characters around the first word whose stem is
    wanted, with every such word in <mark>; the start of the text when nothing matches."""
    text = text or ""
    hits = [m for m in _WORD.finditer(text) if stem(m.group().lower()) in wanted] if wanted else []
    start = max(0, hits[0].start() - width // 3) if hits else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < hits[0].start() else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    out, at = [Markup("…") if start else Markup("")], start
    for m in hits:
        if m.start() < start or m.end() > end:
            continue
        out += [escape(text[at:m.start()]), Markup("<mark>"), escape(m.group()), Markup("</mark>")]
        at = m.end()
    out.append(escape(text[at:end]))
    if end < len(text):
        out.append(Markup("…"))
    return Markup("").join(out)
