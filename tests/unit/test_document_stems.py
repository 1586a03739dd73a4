"""The projection's documents stem each text once (search/text.py keeps stems per text): once for both
indices, and once across the events that write a case again; the `text_stems` field is what it was."""

import json
from pathlib import Path

import pytest

from search import text
from search.documents import case_document
from search.public import public_document
from search.text import stem, words
from tests.unit.test_public_record import CITIZEN, OFFICER, RESOLVED, J, case_through

pytestmark = pytest.mark.unit
CORPUS = [json.loads(line)["text"] for line in
          (Path(__file__).parents[1] / "data" / "redaction_corpus.jsonl").read_text().splitlines()[:60]]


def old_text_stems(title: str | None, description: str) -> str:
    """`text_stems` as it was made: the stems of title and description as one text."""
    return " ".join(stem(w) for w in words(f"{title or ''} {description}"))


@pytest.mark.parametrize("title", [None, "", "!!!", "Jalan rusak-", "Sampah menumpuk-numpuk", "jalan,", "A"])
def test_text_stems_are_the_stems_of_title_and_description_together(title):
    for description in [*CORPUS[:20], "-rusak parah", "diperbaiki"]:
        document = case_document(case_through(title=title, description=description), J)
        assert document["text_stems"] == old_text_stems(title, description)


def test_text_stems_over_the_corpus():
    for title, description in zip(CORPUS[::2], CORPUS[1::2], strict=False):
        document = case_document(case_through(title=title[:120], description=description), J)
        assert document["text_stems"] == old_text_stems(title[:120], description)


def test_each_text_is_stemmed_once_for_both_indices_and_all_events():
    texts = dict(title="Lampu jalan padam di perumahan", description="Lampu penerangan jalan padam sudah seminggu, "
                 "pengendara kesulitan melihat lubang di malam hari.")
    steps = [*RESOLVED[:4], ("resolve", OFFICER, {"resolution": "Lampu sudah diganti dan menyala kembali."})]
    states = [case_through(*steps[:n], **texts) for n in range(len(steps) + 1)]
    states.append(case_through(*steps, ("accept", CITIZEN, {"rating": 5}), **texts))
    text.stems.cache_clear()
    for case in states:
        case_document(case, J)
        public_document(case, J, case.updated_at)
    published = public_document(states[-1], J, states[-1].updated_at)
    assert published is not None and published["title"] == texts["title"]  # nothing in them to scrub
    distinct = {texts["title"], texts["description"], published["resolution"], published["replies"]}
    assert text.stems.cache_info().misses == len(distinct)  # 7 states, 2 indices: each text stemmed once


def test_a_case_s_clocks_are_computed_once_for_both_of_its_documents(monkeypatch):
    from domain import sla

    computed = []
    real = sla._clocks
    monkeypatch.setattr(sla, "_clocks", lambda case, j: computed.append(case.seq) or real(case, j))
    steps = [*RESOLVED[:4], ("resolve", OFFICER, {"resolution": "Lampu sudah diganti dan menyala kembali."})]
    case = case_through(*steps, ("accept", CITIZEN, {"rating": 5}))
    document = case_document(case, J)
    published = public_document(case, J, case.updated_at)
    assert published is not None and published["deadlines"] and "metrics" in document
    assert computed == [case.seq]  # next due, metrics, public metrics and deadlines: one computation
    later = case_through(*steps)  # another case object: its own clocks
    assert sla.clocks(later, J) == real(later, J) and computed == [case.seq, later.seq]
