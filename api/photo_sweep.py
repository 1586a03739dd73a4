"""Orphan photos: photos stored for a submission that Kafka never confirmed, removed after a grace period.

A submission's photos are written before the complaint goes to Kafka (api/submission.py: the case id and the
photo ids come first, then the event that names them). When Kafka does not confirm, the citizen gets 503 and
no case exists, but the photos stay on disk under the case id that never was. A retry of the same submission
(the same `client_request_id` and content) has the same case id and finds them there, so they are kept for
`photo_orphan_grace_s` (24 h by default) before anything happens.

A photo folder is an orphan when its case id has no document in the `cases` index and nothing in it changed
for the grace period. A folder marked confirmed (PhotoStore.confirm, once Kafka confirmed the submission; or
by an earlier sweep that found its case) is not looked at, so a sweep's work grows with the unconfirmed
folders, not with every case that ever had a photo; the mark only ever spares a folder. Otherwise only the
index decides: the sweep asks Elasticsearch about every candidate, and any answer but "found" or "not found"
(unreachable, no such index, a shard failure) stops the whole sweep, which then deletes nothing and says so
(SweepRefused). A folder is moved aside before it is removed and looked at once more, so a retry saving into
it at that moment keeps it (PhotoStore.save touches the folder when the photo is already there).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from elasticsearch import AsyncElasticsearch

from api.photos import _CASE_ID, CONFIRMED  # _CASE_ID: how PhotoStore names a case's folder

log = logging.getLogger(__name__)

ASIDE = ".swept-"  # a folder being removed: ASIDE + case id + "." + random
_ASIDE = re.compile(rf"{re.escape(ASIDE)}({_CASE_ID.pattern})\.[0-9a-f]{{8}}")
MGET_BATCH = 500


class SweepRefused(Exception):
    """The `cases` index could not say which cases exist: nothing was deleted."""


@dataclass(frozen=True)
class PhotoFolder:
    case_id: str
    path: Path
    changed_at: float  # the last change of the folder or of a file in it (seconds since the epoch)
    files: int
    size_bytes: int


@dataclass
class SweepResult:
    folders: int = 0  # unconfirmed photo folders looked at
    fresh: int = 0  # changed within the grace period: not asked about
    of_cases: int = 0  # old, and their case is in the index: kept
    orphans: list[PhotoFolder] = field(default_factory=list)  # old, no case: deleted (or would be, dry run)
    kept_at_the_last_moment: int = 0  # changed while being removed: put back
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        size = sum(f.size_bytes for f in self.orphans)
        return (f"{self.folders} unconfirmed photo folders: {verb} {len(self.orphans)} orphans ({size} bytes), kept "
                f"{self.of_cases} of cases in the index and {self.fresh} within the grace period"
                + (f", {self.kept_at_the_last_moment} changed meanwhile" if self.kept_at_the_last_moment else ""))


def _changed_at(folder: Path) -> tuple[float, int, int]:
    """(latest mtime of the folder and its files, number of files, their bytes)."""
    latest, files, size = folder.stat().st_mtime, 0, 0
    for entry in os.scandir(folder):
        info = entry.stat(follow_symlinks=False)
        latest, files, size = max(latest, info.st_mtime), files + 1, size + info.st_size
    return latest, files, size


def photo_folders(root: Path) -> list[PhotoFolder]:
    """The unconfirmed photo folders under `root`: those named by a case id, and those a sweep moved aside and
    did not finish. Anything else there is not ours to touch."""
    found = []
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return []
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        aside = _ASIDE.fullmatch(entry.name)
        case_id = aside.group(1) if aside else entry.name if _CASE_ID.fullmatch(entry.name) else None
        if case_id is None or os.path.lexists(os.path.join(entry.path, CONFIRMED)):
            continue
        try:
            changed_at, files, size = _changed_at(Path(entry.path))
        except FileNotFoundError:  # removed meanwhile (another process's sweep)
            continue
        found.append(PhotoFolder(case_id, Path(entry.path), changed_at, files, size))
    return found


def older_than(folders: list[PhotoFolder], now: float, grace_s: float) -> list[PhotoFolder]:
    return [f for f in folders if f.changed_at <= now - grace_s]


def _plain(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


async def check_index(es: AsyncElasticsearch, alias: str) -> None:
    """SweepRefused unless the `cases` index answers (it exists, and is reachable): asked first, so an index
    that is down stops every sweep, not only one that has something to delete."""
    try:
        counted = await es.count(index=alias)
    except Exception as exc:  # noqa: BLE001 - any failure means: we cannot tell, so delete nothing
        raise SweepRefused(f"the {alias} index could not be read ({_plain(exc)}); no photo deleted") from exc
    if not counted.get("count"):
        # An empty index is one just made again (data lost, a rebuild not finished): every photo would look
        # like an orphan.
        raise SweepRefused(f"the {alias} index holds no case (made again, or being rebuilt?); no photo deleted")


async def cases_in_index(es: AsyncElasticsearch, alias: str, case_ids: list[str]) -> set[str]:
    """Which of `case_ids` have a document in the `cases` index (realtime: a document just written counts).
    SweepRefused unless every one of them was answered found or not found."""
    known: set[str] = set()
    unique = sorted(set(case_ids))
    for start in range(0, len(unique), MGET_BATCH):
        batch = unique[start:start + MGET_BATCH]
        try:
            answer = await es.mget(index=alias, ids=batch, realtime=True, source=False)
        except Exception as exc:  # noqa: BLE001 - any failure means: we cannot tell, so delete nothing
            raise SweepRefused(f"the {alias} index could not be read ({_plain(exc)}); no photo deleted") from exc
        docs = answer.get("docs", [])
        failed = [d for d in docs if "error" in d or "found" not in d]
        if failed or len(docs) != len(batch):
            raise SweepRefused(f"the {alias} index did not answer for every case "
                               f"({(failed or docs)[:1]}); no photo deleted")
        known.update(d["_id"] for d in docs if d["found"])
    return known


def _remove(folder: PhotoFolder, root: Path, now: float, grace_s: float) -> bool:
    """Move the folder aside, look at it once more, then remove it; put it back if it changed within the grace
    period meanwhile. True when removed."""
    aside = folder.path if _ASIDE.fullmatch(folder.path.name) else \
        root / f"{ASIDE}{folder.case_id}.{secrets.token_hex(4)}"
    if aside != folder.path:
        try:
            os.rename(folder.path, aside)
        except FileNotFoundError:  # another sweep took it
            return False
    changed_at, _, _ = _changed_at(aside)
    if changed_at > now - grace_s:
        _put_back(aside, root / folder.case_id)
        return False
    shutil.rmtree(aside)
    return True


def _keep(folders: list[PhotoFolder], root: Path) -> None:
    """Folders of cases in the index: home (if a sweep had moved one aside) and marked confirmed."""
    for folder in folders:
        home = root / folder.case_id
        try:
            if folder.path != home:
                _put_back(folder.path, home)
            (home / CONFIRMED).touch()
        except OSError as exc:  # asked about again next time, that is all
            log.warning("photo folder %s not marked as confirmed: %r", home, exc)


def _put_back(aside: Path, home: Path) -> None:
    try:
        os.rename(aside, home)
        return
    except OSError:  # a new save made the folder meanwhile: move the files back beside its own
        pass
    for entry in os.scandir(aside):
        target = home / entry.name
        if not target.exists():
            os.replace(entry.path, target)
    shutil.rmtree(aside)


async def sweep_orphan_photos(es: AsyncElasticsearch, alias: str, root: Path, grace_s: float, dry_run: bool = False,
                              now: float | None = None, say: Callable[[str], None] = log.info) -> SweepResult:
    """Delete the photo folders under `root` unchanged for `grace_s` whose case id has no document in `alias`.
    SweepRefused (nothing deleted) when the index cannot tell."""
    now = time.time() if now is None else now
    await check_index(es, alias)
    folders = await asyncio.to_thread(photo_folders, root)
    old = older_than(folders, now, grace_s)
    result = SweepResult(folders=len(folders), fresh=len(folders) - len(old), dry_run=dry_run)
    if not old:
        return result
    known = await cases_in_index(es, alias, [f.case_id for f in old])
    of_cases = [f for f in old if f.case_id in known]
    result.of_cases = len(of_cases)
    if not dry_run:  # never asked about again (and an interrupted sweep's folder goes home: the case exists)
        await asyncio.to_thread(_keep, of_cases, root)
    for folder in old:
        if folder.case_id in known:
            continue
        if dry_run:
            result.orphans.append(folder)
            say(f"would delete {folder.path} (case {folder.case_id} not in {alias}; {folder.files} files, "
                f"{folder.size_bytes} bytes)")
            continue
        if await asyncio.to_thread(_remove, folder, root, now, grace_s):
            result.orphans.append(folder)
            say(f"deleted {folder.path} (case {folder.case_id} not in {alias}; {folder.files} files, "
                f"{folder.size_bytes} bytes)")
        else:
            result.kept_at_the_last_moment += 1
    return result


async def sweep_periodically(es: AsyncElasticsearch, alias: str, root: Path, grace_s: float, every_s: float) -> None:
    """The API process's sweep: first after a random part of `every_s` (API processes started together do not
    sweep at once), then every `every_s`. A refused sweep is logged as an error and tried again next time."""
    await asyncio.sleep(random.uniform(0.1, 1.0) * every_s)  # noqa: S311 - spreading, not secrecy
    while True:
        try:
            result = await sweep_orphan_photos(es, alias, root, grace_s)
            if result.orphans or result.kept_at_the_last_moment:
                log.info("orphan photo sweep: %s", result.summary())
        except SweepRefused as exc:
            log.error("orphan photo sweep refused: %s", exc)
        except Exception:  # noqa: BLE001 - the next sweep tries again; the API keeps serving
            log.exception("orphan photo sweep failed")
        await asyncio.sleep(every_s)
