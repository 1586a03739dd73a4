"""The root secret and its purpose keys (config/keys.py): HKDF per purpose, previous roots for verification,
short keys refused, the key file made and rotated atomically under concurrent processes and readers."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import subprocess
import sys
import threading
import time

import pytest
from pydantic import SecretStr

from config.keys import (
    MIN_ROOT_BYTES,
    KeyRing,
    Purpose,
    SecretKeyError,
    file_mode_problem,
    load_keys,
    new_root,
    read_key_file,
    rotate_key_file,
    write_key_file,
)
from config.settings import REPO_ROOT, Settings

pytestmark = pytest.mark.unit
ROOT = b"r" * 40
OLD = b"o" * 40


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """RFC 5869 written out, to check the derivation against (one block: 32 bytes)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def test_a_purpose_key_is_hkdf_sha256_of_the_root_with_the_purpose_as_info():
    keys = KeyRing(ROOT)
    for purpose in Purpose:
        assert keys.purpose_key(purpose) == hkdf_sha256(ROOT, b"aduan purpose keys v1",
                                                        b"aduan/" + purpose.value.encode())


def test_purpose_keys_are_distinct_stable_and_not_the_root():
    keys = KeyRing(ROOT)
    derived = [keys.purpose_key(p) for p in Purpose]
    assert len(set(derived)) == len(Purpose) and ROOT not in derived
    assert all(len(k) == 32 for k in derived)
    assert [KeyRing(ROOT).purpose_key(p) for p in Purpose] == derived  # the same root, the same keys
    assert KeyRing(b"s" * 40).purpose_key(Purpose.SESSION) != keys.purpose_key(Purpose.SESSION)


def test_previous_roots_verify_and_only_the_current_one_signs():
    keys = KeyRing(ROOT, (OLD, b"p" * 40))
    assert keys.purpose_key(Purpose.CASE_SECRET) == KeyRing(ROOT).purpose_key(Purpose.CASE_SECRET)
    assert keys.verifying_keys(Purpose.CASE_SECRET) == (
        KeyRing(ROOT).purpose_key(Purpose.CASE_SECRET), KeyRing(OLD).purpose_key(Purpose.CASE_SECRET),
        KeyRing(b"p" * 40).purpose_key(Purpose.CASE_SECRET))
    assert keys.legacy_keys() == (ROOT, OLD, b"p" * 40)
    assert len(set(keys.fingerprints())) == 3 and keys.fingerprints()[1] == KeyRing(OLD).fingerprints()[0]


def test_no_secret_in_the_repr():
    assert "rrrr" not in repr(KeyRing(ROOT, (OLD,))) and "oooo" not in repr(KeyRing(ROOT, (OLD,)))


@pytest.mark.parametrize(("secret_key", "previous", "named"), [
    ("x" * (MIN_ROOT_BYTES - 1), "", "ADUAN_SECRET_KEY"),
    ("x" * MIN_ROOT_BYTES, "y" * 40 + ",short", "ADUAN_PREVIOUS_SECRET_KEYS, key 2"),
    ("é" * 15 + "x", "", "ADUAN_SECRET_KEY"),  # 31 bytes in UTF-8, 16 characters
])
def test_a_root_shorter_than_32_bytes_is_refused_naming_the_setting(tmp_path, secret_key, previous, named):
    with pytest.raises(SecretKeyError, match=f"^{named}: a root secret needs at least 32 bytes"):
        load_keys(secret_key, previous, tmp_path / "secret_key")


def test_the_setting_wins_over_the_file_and_previous_roots_come_from_both(tmp_path):
    path = tmp_path / "secret_key"
    write_key_file(path, ["f" * 40, "g" * 40])
    from_env = load_keys("e" * 40, f" {'h' * 40} , {'i' * 40},", path)  # spaces around a key are not part of it
    assert from_env.root == b"e" * 40 and from_env.previous == (b"h" * 40, b"i" * 40)
    from_file = load_keys("", "i" * 40, path)
    assert from_file.root == b"f" * 40 and from_file.previous == (b"g" * 40, b"i" * 40)
    assert from_file.source == str(path)


def test_settings_read_their_own_key_file(tmp_path):
    settings = Settings(secret_key=SecretStr(""), previous_secret_keys=SecretStr(""),
                        secret_key_file=tmp_path / "k")
    made = settings.keys()
    assert settings.keys().root == made.root and (tmp_path / "k").exists()
    assert Settings().secret_key_file == REPO_ROOT / "var" / "secret_key"


def test_a_key_file_is_made_once_0600_and_read_back_the_same(tmp_path):
    path = tmp_path / "var" / "secret_key"
    first = load_keys("", "", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and file_mode_problem(path) is None
    assert load_keys("", "", path).root == first.root and first.previous == ()
    assert len(first.root) >= 64 and os.listdir(path.parent) == ["secret_key"]  # no temporary file left
    path.chmod(0o644)
    assert "chmod 600" in file_mode_problem(path)


def test_the_key_file_of_before_purpose_keys_is_read_as_it_was(tmp_path):
    path = tmp_path / "secret_key"
    old = new_root()
    path.write_text(old)  # one line, no newline: what Settings.secret() wrote
    assert load_keys("", "", path) == KeyRing(old.encode(), (), str(path))


def test_comments_and_blank_lines_are_skipped_and_a_short_or_empty_file_is_refused(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text(f"# a comment\n\n{'a' * 40}\n  {'b' * 40}  \n")
    assert read_key_file(path) == [b"a" * 40, b"b" * 40]
    path.write_text(f"{'a' * 40}\nshort\n")
    with pytest.raises(SecretKeyError, match=rf"^{path}, line 2: a root secret needs at least 32 bytes"):
        load_keys("", "", path)
    path.write_text("")  # e.g. left by the old code's create-then-write
    with pytest.raises(SecretKeyError, match="holds no key"):
        load_keys("", "", path)


def test_threads_racing_to_make_the_key_file_end_with_one_root_and_readers_never_see_a_part(tmp_path):
    for run in range(20):
        path = tmp_path / str(run) / "secret_key"
        start = threading.Barrier(12)
        roots, seen, errors = [], [], []

        def make() -> None:
            start.wait()
            roots.append(load_keys("", "", path).root)

        def read() -> None:
            start.wait()
            for _ in range(200):
                try:
                    seen.append(read_key_file(path)[0])
                except FileNotFoundError:
                    pass
                except Exception as exc:  # an empty or partial file
                    errors.append(exc)

        threads = [threading.Thread(target=make) for _ in range(8)] + [threading.Thread(target=read) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors and len(set(roots)) == 1 and set(seen) <= set(roots)
        assert os.listdir(path.parent) == ["secret_key"]


RACER = """
import sys, time
from pathlib import Path
from config.keys import load_keys
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
print(load_keys("", "", Path(sys.argv[1])).fingerprints()[0])
"""


def test_processes_racing_to_make_the_key_file_end_with_the_same_root(tmp_path):
    path, go = tmp_path / "var" / "secret_key", tmp_path / "go"
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(path), str(go)], cwd=REPO_ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(8)]
    time.sleep(1.0)  # all of them started and waiting
    go.touch()
    outputs = [r.communicate(timeout=60) for r in racers]
    assert all(r.returncode == 0 for r in racers), outputs
    assert len({out.strip() for out, _ in outputs}) == 1
    assert {out.strip() for out, _ in outputs} == {load_keys("", "", path).fingerprints()[0]}


def test_rotation_keeps_the_old_root_first_among_the_previous_ones_up_to_keep(tmp_path):
    path = tmp_path / "secret_key"
    first = load_keys("", "", path).root
    before, after = rotate_key_file(path)
    assert before == [first] and after[1:] == [first] and after[0] != first
    assert read_key_file(path) == after and stat.S_IMODE(path.stat().st_mode) == 0o600
    for _ in range(4):
        rotate_key_file(path, keep=3)
    assert len(read_key_file(path)) == 4 and first not in read_key_file(path)
    current = read_key_file(path)[0]
    rotate_key_file(path, keep=0)  # after a leak: nothing made before is accepted any more
    assert len(read_key_file(path)) == 1 and read_key_file(path)[0] != current
    assert sorted(os.listdir(tmp_path)) == ["secret_key", "secret_key.lock"]


def test_a_missing_key_file_is_made_by_a_rotation(tmp_path):
    before, after = rotate_key_file(tmp_path / "secret_key")
    assert before == [] and len(after) == 1 and read_key_file(tmp_path / "secret_key") == after


def test_concurrent_rotations_lose_no_root_and_readers_always_see_a_whole_file(tmp_path):
    path = tmp_path / "secret_key"
    first = load_keys("", "", path).root
    done, errors, seen = threading.Event(), [], set()

    def read() -> None:
        while not done.is_set():
            try:
                roots = read_key_file(path)
                seen.add(len(roots))
            except Exception as exc:
                errors.append(exc)

    def rotate() -> None:
        for _ in range(5):
            rotate_key_file(path, keep=100)

    readers = [threading.Thread(target=read) for _ in range(3)]
    rotators = [threading.Thread(target=rotate) for _ in range(4)]
    for t in readers + rotators:
        t.start()
    for t in rotators:
        t.join()
    done.set()
    for t in readers:
        t.join()
    roots = read_key_file(path)
    assert not errors
    assert len(roots) == 21 and len(set(roots)) == 21 and roots[-1] == first  # 20 rotations, in order
    assert seen and max(seen) <= 21


def test_a_written_key_file_refuses_a_short_root_and_leaves_the_old_file(tmp_path):
    path = tmp_path / "secret_key"
    write_key_file(path, ["a" * 40])
    with pytest.raises(SecretKeyError):
        write_key_file(path, ["short"])
    assert read_key_file(path) == [b"a" * 40] and os.listdir(tmp_path) == ["secret_key"]
