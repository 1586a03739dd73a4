"""`aduan keys`: rotate the key file, say where the root comes from (never a secret), make a new root."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from aduan.cli import cli
from config.keys import KeyRing, read_key_file

pytestmark = pytest.mark.unit
runner = CliRunner()


def aduan(tmp_path, *args: str, secret_key: str = "", previous: str = ""):
    env = {"ADUAN_SECRET_KEY": secret_key, "ADUAN_PREVIOUS_SECRET_KEYS": previous,
           "ADUAN_SECRET_KEY_FILE": str(tmp_path / "secret_key")}
    return runner.invoke(cli, ["keys", *args], env=env)


@pytest.mark.parametrize("args", [["keys"], ["keys", "rotate"], ["keys", "status"], ["keys", "new"]])
def test_every_keys_command_has_help(args):
    result = runner.invoke(cli, [*args, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output and len(result.output.strip().splitlines()) > 3


def test_rotate_keeps_the_old_root_as_previous_and_says_to_restart_the_api(tmp_path):
    assert "not made yet" in aduan(tmp_path, "status").output
    assert aduan(tmp_path, "rotate").exit_code == 0  # no file yet: made
    first = read_key_file(tmp_path / "secret_key")
    rotated = aduan(tmp_path, "rotate")
    assert rotated.exit_code == 0, rotated.output
    roots = read_key_file(tmp_path / "secret_key")
    assert roots[1:] == first and "restart every API process" in rotated.output
    names = KeyRing(roots[0], tuple(roots[1:])).fingerprints()
    assert names[0] in rotated.output and names[1] in rotated.output
    status = aduan(tmp_path, "status")
    assert status.exit_code == 0 and f"current root: {names[0]}" in status.output and names[1] in status.output
    for root in roots:
        assert root.decode() not in rotated.output + status.output


def test_rotate_keeps_at_most_keep_previous_roots(tmp_path):
    for _ in range(5):
        assert aduan(tmp_path, "rotate").exit_code == 0
    assert len(read_key_file(tmp_path / "secret_key")) == 4
    dropped = aduan(tmp_path, "rotate", "--keep", "0")
    assert dropped.exit_code == 0 and "no longer accepted: 4" in dropped.output  # the current one too
    assert len(read_key_file(tmp_path / "secret_key")) == 1
    assert aduan(tmp_path, "rotate", "--keep", "11").exit_code == 2


def test_with_the_root_in_the_environment_rotate_changes_nothing_and_says_how_to_rotate_there(tmp_path):
    result = aduan(tmp_path, "rotate", secret_key="e" * 40)
    assert result.exit_code == 1 and not (tmp_path / "secret_key").exists()
    assert "ADUAN_PREVIOUS_SECRET_KEYS" in result.output and "aduan keys new" in result.output
    status = aduan(tmp_path, "status", secret_key="e" * 40, previous="p" * 40)
    assert "source: ADUAN_SECRET_KEY" in status.output
    assert KeyRing(b"p" * 40).fingerprints()[0] in status.output and "e" * 40 not in status.output


def test_a_short_root_is_refused_naming_the_setting(tmp_path):
    result = aduan(tmp_path, "status", secret_key="kurang-panjang")
    assert result.exit_code == 1 and "ADUAN_SECRET_KEY: a root secret needs at least 32 bytes" in result.output


def test_a_key_file_others_may_read_is_warned_about(tmp_path):
    aduan(tmp_path, "rotate")
    (tmp_path / "secret_key").chmod(0o640)
    assert "chmod 600" in aduan(tmp_path, "status").output


def test_new_prints_a_fresh_root_each_time(tmp_path):
    made = {aduan(tmp_path, "new").output.strip() for _ in range(3)}
    assert len(made) == 3 and all(len(root) >= 64 for root in made)
