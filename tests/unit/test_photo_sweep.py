"""The orphan photo sweep (api/photo_sweep.py) against a stand-in for the `cases` index: old folders of case
ids the index does not know go, a real case's and fresh ones stay, and an index that cannot answer makes
the sweep delete nothing."""

from __future__ import annotations

import os
import time

import pytest

from api.photo_sweep import ASIDE, SweepRefused, photo_folders, sweep_orphan_photos
from api.photos import CONFIRMED, PhotoStore

pytestmark = pytest.mark.unit
DAY = 24 * 3600
NOW = time.time()


class FakeIndex:
    """`mget` of the `cases` alias: found for `known`, an error for `broken`, or a failure of the request."""

    def __init__(self, known=(), broken=(), fail: Exception | None = None, total: int = 1000) -> None:
        self.known, self.broken, self.fail, self.asked = set(known), set(broken), fail, []
        self.total = total  # the documents the index holds: the cases of the photos here and many more

    async def count(self, index):
        if self.fail:
            raise self.fail
        return {"count": self.total}

    async def mget(self, index, ids, realtime, source):
        assert realtime is True and source is False
        self.asked.append(list(ids))
        if self.fail:
            raise self.fail
        return {"docs": [{"_id": i, "error": {"type": "shard_failure"}} if i in self.broken
                         else {"_id": i, "_index": "cases-v1", "found": i in self.known} for i in ids]}


class MgetFails(FakeIndex):
    async def count(self, index):  # the count answers; then mget fails
        return {"count": self.total}


def folder(root, case_id: str, age_s: float, files: int = 1):
    path = root / case_id
    path.mkdir()
    for i in range(files):
        photo = path / f"{i:032x}.jpg"
        photo.write_bytes(b"\xff\xd8" + b"x" * 100)
        os.utime(photo, (NOW - age_s, NOW - age_s))
    os.utime(path, (NOW - age_s, NOW - age_s))
    return path


async def test_old_orphans_go_real_cases_and_fresh_orphans_stay(tmp_path):
    orphan = folder(tmp_path, "BKL-AAAAA-00001", 2 * DAY, files=2)
    real = folder(tmp_path, "BKL-BBBBB-00002", 30 * DAY)
    fresh = folder(tmp_path, "BKL-CCCCC-00003", 3600)
    (tmp_path / "notes").mkdir()  # not a case folder: never ours to touch
    os.utime(tmp_path / "notes", (NOW - 99 * DAY, NOW - 99 * DAY))
    said = []
    index = FakeIndex(known={"BKL-BBBBB-00002"})
    result = await sweep_orphan_photos(index, "cases", tmp_path, DAY, now=NOW, say=said.append)
    assert not orphan.exists() and real.is_dir() and fresh.is_dir() and (tmp_path / "notes").is_dir()
    assert [f.case_id for f in result.orphans] == ["BKL-AAAAA-00001"]
    assert (result.folders, result.fresh, result.of_cases) == (3, 1, 1)
    assert index.asked == [["BKL-AAAAA-00001", "BKL-BBBBB-00002"]]  # fresh ones are not even asked about
    assert "deleted" in said[0] and "BKL-AAAAA-00001" in said[0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(ASIDE)]
    assert result.summary().startswith("3 unconfirmed photo folders: deleted 1 orphans")
    # The real case's folder is marked now, and never asked about again; the fresh one is, once old.
    assert (real / CONFIRMED).is_file()
    again = FakeIndex(known={"BKL-BBBBB-00002"})
    later = await sweep_orphan_photos(again, "cases", tmp_path, DAY, now=NOW + DAY, say=said.append)
    assert again.asked == [["BKL-CCCCC-00003"]] and not fresh.exists() and real.is_dir()
    assert later.folders == 1


async def test_a_folder_marked_confirmed_is_left_alone_without_asking(tmp_path):
    path = folder(tmp_path, "BKL-AAAAA-00001", 30 * DAY)
    PhotoStore(tmp_path).confirm("BKL-AAAAA-00001")
    os.utime(path, (NOW - 30 * DAY, NOW - 30 * DAY))
    index = FakeIndex()
    result = await sweep_orphan_photos(index, "cases", tmp_path, DAY, now=NOW)
    assert path.is_dir() and index.asked == [] and result.folders == 0
    PhotoStore(tmp_path).confirm("BKL-ZZZZZ-00009")  # no folder: nothing made
    assert not (tmp_path / "BKL-ZZZZZ-00009").exists()


async def test_a_change_anywhere_in_the_folder_keeps_it_for_another_grace_period(tmp_path):
    path = folder(tmp_path, "BKL-AAAAA-00001", 2 * DAY, files=2)
    newest = next(path.iterdir())
    os.utime(newest, (NOW - 60, NOW - 60))
    result = await sweep_orphan_photos(FakeIndex(), "cases", tmp_path, DAY, now=NOW)
    assert path.is_dir() and result.orphans == [] and result.fresh == 1


@pytest.mark.parametrize("index", [FakeIndex(fail=ConnectionError("connection refused")),
                                   MgetFails(fail=ConnectionError("connection reset")),
                                   FakeIndex(broken={"BKL-BBBBB-00002"})],
                         ids=["unreachable", "gone between the two requests", "a shard failed"])
async def test_an_index_that_cannot_answer_deletes_nothing(tmp_path, index):
    orphan = folder(tmp_path, "BKL-AAAAA-00001", 2 * DAY)
    folder(tmp_path, "BKL-BBBBB-00002", 2 * DAY)
    with pytest.raises(SweepRefused, match="no photo deleted"):
        await sweep_orphan_photos(index, "cases", tmp_path, DAY, now=NOW)
    assert orphan.is_dir() and len(list(tmp_path.iterdir())) == 2


async def test_an_index_that_cannot_answer_refuses_even_with_nothing_to_delete(tmp_path):
    with pytest.raises(SweepRefused):
        await sweep_orphan_photos(FakeIndex(fail=ConnectionError("refused")), "cases", tmp_path, DAY, now=NOW)


async def test_a_dry_run_deletes_nothing_and_says_what_it_would(tmp_path):
    orphan = folder(tmp_path, "BKL-AAAAA-00001", 2 * DAY)
    said = []
    result = await sweep_orphan_photos(FakeIndex(), "cases", tmp_path, DAY, dry_run=True, now=NOW, say=said.append)
    assert orphan.is_dir() and [f.path for f in result.orphans] == [orphan]
    assert said[0].startswith("would delete") and "would delete 1 orphans" in result.summary()


async def test_a_folder_moved_aside_by_an_interrupted_sweep_is_finished_or_put_back(tmp_path):
    gone = folder(tmp_path, "BKL-AAAAA-00001", 2 * DAY)
    gone.rename(tmp_path / f"{ASIDE}BKL-AAAAA-00001.0123abcd")
    back = folder(tmp_path, "BKL-BBBBB-00002", 2 * DAY)
    back.rename(tmp_path / f"{ASIDE}BKL-BBBBB-00002.4567cdef")
    assert {f.case_id for f in photo_folders(tmp_path)} == {"BKL-AAAAA-00001", "BKL-BBBBB-00002"}
    await sweep_orphan_photos(FakeIndex(known={"BKL-BBBBB-00002"}), "cases", tmp_path, DAY, now=NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["BKL-BBBBB-00002"]  # the real case's photos are home


async def test_a_retry_saving_into_the_folder_while_it_is_swept_keeps_it(tmp_path, monkeypatch):
    """The folder changes between the look at it and its removal (a retry of the same submission saved a
    photo, or PhotoStore.save touched it): it is put back, not removed."""
    import api.photo_sweep as sweep

    path = folder(tmp_path, "BKL-AAAAA-00001", 2 * DAY)
    rename = os.rename

    def rename_then_touch(src, dst):
        rename(src, dst)
        if ASIDE in str(dst):
            os.utime(dst, (NOW, NOW))  # the retry's touch, just after the folder was moved aside

    monkeypatch.setattr(sweep.os, "rename", rename_then_touch)
    result = await sweep_orphan_photos(FakeIndex(), "cases", tmp_path, DAY, now=NOW)
    assert path.is_dir() and len(list(path.iterdir())) == 1
    assert result.orphans == [] and result.kept_at_the_last_moment == 1


def test_saving_a_photo_that_is_already_stored_touches_its_folder(tmp_path):
    import io

    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(data, "PNG")
    store = PhotoStore(tmp_path)
    store.save("BKL-AAAAA-00001", data.getvalue())
    os.utime(tmp_path / "BKL-AAAAA-00001", (NOW - 2 * DAY, NOW - 2 * DAY))
    store.save("BKL-AAAAA-00001", data.getvalue())  # a retry of the same submission
    assert (tmp_path / "BKL-AAAAA-00001").stat().st_mtime > NOW - 60


async def test_the_api_process_sweeps_periodically_and_keeps_going_when_refused(tmp_path, monkeypatch, caplog):
    import asyncio

    import api.photo_sweep as sweep

    monkeypatch.setattr(sweep.random, "uniform", lambda a, b: 0.0)
    orphan = folder(tmp_path, "BKL-AAAAA-00001", 2 * DAY)

    class FlakyIndex(FakeIndex):
        def __init__(self) -> None:
            super().__init__()
            self.counts = 0

        async def count(self, index):
            self.counts += 1
            if self.counts == 1:
                raise ConnectionError("refused")
            return {"count": 1000}

    index = FlakyIndex()
    task = asyncio.create_task(sweep.sweep_periodically(index, "cases", tmp_path, DAY, every_s=0.05))
    try:
        for _ in range(100):
            if not orphan.exists():
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
    assert not orphan.exists() and index.counts >= 2
    assert any("refused" in r.message and r.levelname == "ERROR" for r in caplog.records)


async def test_an_empty_index_deletes_nothing(tmp_path):
    """An index made again after its data was lost (or a rebuild not finished): every photo would look orphan."""
    from api.photo_sweep import SweepRefused, sweep_orphan_photos

    orphan = folder(tmp_path, "BKL-AAAAA-00001", 30 * DAY)
    with pytest.raises(SweepRefused, match="holds no case"):
        await sweep_orphan_photos(FakeIndex(total=0), "cases", tmp_path, DAY, now=NOW)
    assert orphan.exists()
