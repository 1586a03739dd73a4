"""The root secret and the keys derived from it.

One root secret: `ADUAN_SECRET_KEY` when set, else the key file (`ADUAN_SECRET_KEY_FILE`, `var/secret_key`),
made with a random root on first use. Nothing signs with the root itself: each use has its purpose key,
HKDF-SHA256 of the root with the purpose's name as `info`, so a key of one purpose says nothing about
another's. Signing always uses the current root's key; verification also accepts the keys of previous
roots (`ADUAN_PREVIOUS_SECRET_KEYS`, and the key file's later lines), so a rotation (`aduan keys rotate`)
keeps what was signed before valid for as long as its root stays listed.

The key file: one root per line, the current first, then the previous ones, newest first; blank lines and
lines starting with `#` are ignored. A one-line file (what Aduan wrote before purpose keys) is a root with
no previous ones. It is only ever replaced whole: written to a temporary file in the same folder (0600),
synced, then linked into place (creation: `os.link`, which fails if another process made it first, so every
process ends with the winner's root) or renamed over the old file (rotation: `os.replace`). A reader sees
the old file or the new one, never a part of one.

Legacy: before purpose keys the root itself keyed the session cookie and the citizens' case secrets. Case
links live as long as their case (a citizen keeps theirs), so a secret made that way still matches, as a
verification path only (`legacy_keys`); session cookies made that way are accepted too, until they expire
(a day).
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_ROOT_BYTES = 32
KEEP_PREVIOUS = 3  # previous roots `aduan keys rotate` keeps by default
_SALT = b"aduan purpose keys v1"
_HEADER = ("# Aduan root secrets (README: Keys). First key line: the current root; the lines after it: previous\n"
           "# roots, newest first, accepted for verification only. Written by Aduan; keep it 0600.\n")


class Purpose(StrEnum):
    """What a purpose key is for; its value is the HKDF `info`. A new use gets a new purpose, never an old key."""

    SESSION = "session"  # the signed session cookie of the web pages (it holds the CSRF token too)
    # the citizen's case secret, `kunci` in their tracking link
    CASE_SECRET = "case-secret"  # noqa: S105 - a name, not a secret
    FINGERPRINT = "fingerprint"  # names a root in `aduan keys status` without showing it


class SecretKeyError(ValueError):
    """A root secret that cannot be used; the message names the setting or the file."""


def derive(root: bytes, purpose: Purpose) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"aduan/" + purpose.value.encode()
                ).derive(root)


def new_root() -> str:
    """A fresh random root secret (64 URL-safe characters, 48 random bytes)."""
    return secrets.token_urlsafe(48)


@dataclass(frozen=True)
class KeyRing:
    """The current root, the previous ones (newest first) and where they came from (for messages)."""

    root: bytes = field(repr=False)
    previous: tuple[bytes, ...] = field(default=(), repr=False)
    source: str = "ADUAN_SECRET_KEY"
    _keys: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_length(self.root, self.source)
        for i, old in enumerate(self.previous, 1):
            _check_length(old, f"previous root {i}")
        for purpose in Purpose:
            self._keys[purpose] = tuple(derive(r, purpose) for r in (self.root, *self.previous))

    def purpose_key(self, purpose: Purpose) -> bytes:
        """The key that signs for `purpose` now (the current root's)."""
        return self._keys[Purpose(purpose)][0]

    def verifying_keys(self, purpose: Purpose) -> tuple[bytes, ...]:
        """Every key accepted for `purpose`: the current root's first, then each previous root's, newest first."""
        return self._keys[Purpose(purpose)]

    def legacy_keys(self) -> tuple[bytes, ...]:
        """The roots themselves, as Aduan used them before purpose keys (verification only; see the module)."""
        return (self.root, *self.previous)

    def fingerprints(self) -> list[str]:
        """A short name of each root, current first: equal on two machines when their roots are equal."""
        return [base64.b32encode(k[:5]).decode().lower() for k in self.verifying_keys(Purpose.FINGERPRINT)]


def _check_length(root: bytes, where: str) -> None:
    if len(root) < MIN_ROOT_BYTES:
        raise SecretKeyError(f"{where}: a root secret needs at least {MIN_ROOT_BYTES} bytes, this one has {len(root)} "
                        "(make one with `aduan keys new` or `openssl rand -hex 32`)")


def load_keys(secret_key: str, previous: str, key_file: Path, create: bool = True) -> KeyRing:
    """The key ring of these settings: the root from `secret_key` when set, else from `key_file` (made on
    first use when `create`); previous roots from `previous` (comma-separated) and, for the file, its lines."""
    listed = _previous_setting(previous)
    if secret_key:
        return KeyRing(secret_key.encode(), listed, "ADUAN_SECRET_KEY")
    roots = _read_or_create(key_file) if create else read_key_file(key_file)
    return KeyRing(roots[0], (*roots[1:], *listed), str(key_file))


def _previous_setting(previous: str) -> tuple[bytes, ...]:
    roots = tuple(p.strip().encode() for p in previous.split(",") if p.strip())
    for i, root in enumerate(roots, 1):
        _check_length(root, f"ADUAN_PREVIOUS_SECRET_KEYS, key {i}")
    return roots


def parse_key_file(text: str, where: str) -> list[bytes]:
    roots = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            _check_length(line.encode(), f"{where}, line {number}")
            roots.append(line.encode())
    if not roots:
        raise SecretKeyError(f"{where} holds no key. Remove it to have a new root made (every session and case link "
                        "made with a lost root ends), or set ADUAN_SECRET_KEY")
    return roots


def read_key_file(path: Path) -> list[bytes]:
    """The roots of the key file, current first; FileNotFoundError when there is none."""
    return parse_key_file(path.read_text(encoding="utf-8"), str(path))


def _read_or_create(path: Path) -> list[bytes]:
    try:
        return read_key_file(path)
    except FileNotFoundError:
        pass
    staged = _stage(path, [new_root()])
    try:
        os.link(staged, path)  # atomic, and never over an existing file: a process that lost the race ...
    except FileExistsError:
        pass  # ... reads the winner's file below
    finally:
        os.unlink(staged)
    _sync_folder(path.parent)
    return read_key_file(path)


def write_key_file(path: Path, roots: list[str]) -> None:
    """Replace the key file with these roots (the current first), atomically."""
    staged = _stage(path, roots)
    try:
        os.replace(staged, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)
        raise
    _sync_folder(path.parent)


def _stage(path: Path, roots: list[str]) -> Path:
    """A synced 0600 file beside `path` holding `roots`, under a temporary name."""
    for root in roots:
        _check_length(root.encode(), "new key file")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_HEADER + "".join(f"{root}\n" for root in roots))
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def _sync_folder(folder: Path) -> None:
    """Make the new name durable (a crash right after must not bring back the old file or none)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder; the file itself is synced
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def rotation_lock(path: Path):
    """One rotation at a time (two at once would each keep the same old root and lose the other's new one)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def rotate_key_file(path: Path, keep: int = KEEP_PREVIOUS) -> tuple[list[bytes], list[bytes]]:
    """A new current root in the key file, the old current one first among the previous ones, at most `keep`
    previous ones kept. Answers (roots before, roots after), current first. A missing file is made."""
    if keep < 0:
        raise ValueError("keep must be 0 or more")
    with rotation_lock(path):
        try:
            before = read_key_file(path)
        except FileNotFoundError:
            before = []
        after = [new_root(), *(r.decode() for r in before[:keep])]
        write_key_file(path, after)
    return before, [r.encode() for r in after]


def file_mode_problem(path: Path) -> str | None:
    """What is wrong with the key file's permissions, if anything (others or its group may read it)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return f"{path} has mode {mode:04o}: others can read it; `chmod 600 {path}`"
    return None
