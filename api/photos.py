"""Photos citizens attach to a complaint: checked by content, re-encoded without metadata, stored under server names.

Nothing the client says about a file (name, content type) is trusted. Every accepted photo is decoded and written
out again as a plain JPEG, so EXIF (GPS above all), ICC profiles, comments and anything hidden in the original bytes
never reach the disk. Files are served only through the app, looked up with ``PhotoStore.path``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse
from PIL import Image, ImageOps

MAX_PHOTOS = 3
# An empty file in a case's folder once Kafka has confirmed its submission: the orphan sweep
# (api/photo_sweep.py) leaves such a folder alone without asking the index about it.
CONFIRMED = ".confirmed"

log = logging.getLogger(__name__)
_FORMATS = ["JPEG", "PNG", "WEBP"]
_CASE_ID = re.compile(r"[A-Z]{2,5}-[0-9A-Z]{5}-[0-9A-Z]{5}")
_PHOTO_ID = re.compile(r"[0-9a-f]{32}")


class PhotoRejected(ValueError):
    """The upload is not a photo we accept; ``str(exc)`` is shown to the citizen (Indonesian first, then English)."""


@dataclass(frozen=True)
class StoredPhoto:
    photo_id: str
    width: int
    height: int
    size_bytes: int


def _rejected(filename: str, id_text: str, en_text: str) -> PhotoRejected:
    # The name is the client's: keep only its last component, drop control characters and cap its length, since
    # the message ends up in HTML pages and logs.
    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    if len(name) > 80:
        name = name[:79] + "…"
    subject_id, subject_en = (f'Berkas "{name}"', f'"{name}"') if name else ("Berkas ini", "This file")
    return PhotoRejected(f"{subject_id} {id_text} / {subject_en} {en_text}")


def _size_text(n: int) -> str:
    return f"{n / 1_048_576:.3g} MB" if n >= 1_048_576 else f"{max(1, n // 1024)} KB"


def photo_id_of(data: bytes) -> str:
    """A photo's id: from its uploaded bytes, so the same upload again is the same photo."""
    return hashlib.sha256(data).hexdigest()[:32]


class PhotoStore:
    def __init__(
        self, root: Path, max_bytes: int = 8 * 1024 * 1024, max_side: int = 2048, max_pixels: int = 40_000_000
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_side = max_side
        self.max_pixels = max_pixels

    def save(self, case_id: str, data: bytes, filename: str = "") -> StoredPhoto:
        if not isinstance(case_id, str) or not _CASE_ID.fullmatch(case_id):
            raise ValueError(f"not a case id: {case_id!r}")
        if not data:
            raise _rejected(filename, "kosong.", "is empty.")
        if len(data) > self.max_bytes:
            limit = _size_text(self.max_bytes)
            raise _rejected(filename, f"terlalu besar (maksimal {limit}).", f"is too large (at most {limit}).")
        # Derived from the original bytes so a retried submission gets the very same photo ids.
        photo_id = photo_id_of(data)
        folder = self.root / case_id
        target = folder / f"{photo_id}.jpg"
        if target.is_file():
            # Same bytes were accepted before: the stored file is final (written atomically), keep it as it is.
            # The folder is touched, so the orphan sweep (api/photo_sweep.py) sees a retry is using it.
            os.utime(folder)
            with Image.open(target, formats=["JPEG"]) as stored:
                return StoredPhoto(photo_id, stored.width, stored.height, target.stat().st_size)
        encoded, width, height = self._reencode(data, filename)
        # mkdir(parents=True) ignores mode for the parents it makes, so create the media root explicitly.
        self.root.mkdir(mode=0o750, parents=True, exist_ok=True)
        folder.mkdir(mode=0o750, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                os.fchmod(out.fileno(), 0o640)
                out.write(encoded)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredPhoto(photo_id, width, height, len(encoded))

    def confirm(self, case_id: str) -> None:
        """Mark the case's photos as those of a confirmed submission. Only a shortcut for the sweep, which asks
        the index about an unmarked folder: a mark that could not be made is logged, never an error."""
        folder = self.root / case_id
        try:
            if _CASE_ID.fullmatch(case_id) and folder.is_dir():
                (folder / CONFIRMED).touch()
        except OSError as exc:
            log.warning("photos of case %s not marked as confirmed (the sweep will ask the index): %r", case_id, exc)

    def delete_case(self, case_id: str) -> int:
        """Delete every photo of `case_id` (its personal data erased): the number of photo files removed."""
        if not (isinstance(case_id, str) and _CASE_ID.fullmatch(case_id)):
            raise ValueError(f"not a case id: {case_id!r}")
        folder = self.root / case_id
        if not folder.is_dir():
            return 0
        photos = len(list(folder.glob("*.jpg")))
        shutil.rmtree(folder)
        return photos

    def response(self, case_id: str, photo_id: str, allowed: Iterable[str], cache_control: str) -> FileResponse:
        """The photo as an answer, if it is one of `allowed` (the case's photos, or its published ones) and
        stored; 404 otherwise. Every photo route serves through here."""
        path = self.path(case_id, photo_id) if photo_id in allowed else None
        if path is None:
            raise HTTPException(404, "Foto tidak ditemukan / photo not found")
        return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": cache_control})

    def path(self, case_id: str, photo_id: str) -> Path | None:
        # Both ids are checked against strict patterns, so neither can carry "..", a slash or a NUL into the path.
        if not (isinstance(case_id, str) and isinstance(photo_id, str)):
            return None
        if not (_CASE_ID.fullmatch(case_id) and _PHOTO_ID.fullmatch(photo_id)):
            return None
        candidate = self.root / case_id / f"{photo_id}.jpg"
        return candidate if candidate.is_file() else None

    def _reencode(self, data: bytes, filename: str) -> tuple[bytes, int, int]:
        not_image = ("bukan gambar JPEG, PNG atau WebP.", "is not a JPEG, PNG or WebP image.")
        too_many_pixels = (
            f"terlalu besar resolusinya (maksimal {self.max_pixels / 1e6:g} megapiksel).",
            f"has too many pixels (at most {self.max_pixels / 1e6:g} megapixels).",
        )
        damaged = ("rusak atau tidak lengkap.", "is damaged or incomplete.")
        # Pillow raises many exception types on hostile input (OSError, SyntaxError, struct.error, ...); all of them
        # mean the same thing to the citizen, so the decoding steps map every failure to a rejection.
        try:
            with Image.open(io.BytesIO(data), formats=_FORMATS) as probe:
                # Only the header has been read so far: refuse bombs before any pixel is decompressed.
                if probe.width * probe.height > self.max_pixels:
                    raise _rejected(filename, *too_many_pixels)
                probe.verify()
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            # Pillow's own limit, hit at open (the warning only raises when warnings are errors).
            raise _rejected(filename, *too_many_pixels) from None
        except Image.UnidentifiedImageError:
            raise _rejected(filename, *not_image) from None
        except Exception:
            raise _rejected(filename, *damaged) from None

        try:
            # verify() leaves the image unusable, so decode from a fresh open.
            with Image.open(io.BytesIO(data), formats=_FORMATS) as src:
                # For JPEG, let the decoder scale down by 1/2..1/8 while reading; the long edge stays >= max_side.
                scale = self.max_side / max(src.size)
                if scale < 1:
                    src.draft(None, (max(1, round(src.width * scale)), max(1, round(src.height * scale))))
                img = ImageOps.exif_transpose(src)  # decodes, and keeps the picture upright once EXIF is gone
        except Exception:
            raise _rejected(filename, *damaged) from None

        if img.mode == "I" or img.mode.startswith("I;16"):
            # 16-bit greyscale PNG: a plain convert would clip every value above 255 to white.
            img = img.convert("I").point(lambda v: v / 256, "L")
        # Resample only in modes where it is well defined (palette and 1-bit would fall back to nearest neighbour),
        # and turn colour-key transparency into alpha so the flattening below sees it.
        if img.mode not in ("RGB", "RGBA", "L", "LA") or "transparency" in img.info:
            img = img.convert("RGBA")
        img.thumbnail((self.max_side, self.max_side), Image.Resampling.LANCZOS)
        # A brand-new canvas carries no info dict: Pillow's JPEG writer would otherwise copy a comment over.
        canvas = Image.new("RGB", img.size, "white")
        if img.mode in ("RGBA", "LA"):
            canvas.paste(img.convert("RGBA"), mask=img.getchannel("A"))
        else:
            canvas.paste(img.convert("RGB"))
        out = io.BytesIO()
        canvas.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue(), canvas.width, canvas.height
