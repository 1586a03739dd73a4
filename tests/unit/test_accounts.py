import re
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import inspect
from typer.testing import CliRunner

from aduan.cli import cli
from api.accounts import AccountError, AccountStore, MfaRequired, WeakPassword, check_password

pytestmark = pytest.mark.unit
runner = CliRunner()
GOOD = "kopi-pahit-di-pantai-panjang"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
# Cheap argon2 parameters keep the tests fast; production uses the library's defaults.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def make_store(tmp_path, **kw) -> AccountStore:
    store = AccountStore(f"sqlite:///{tmp_path}/accounts.db", lambda code: code in {"DPUPR", "DINKES"},
                         hasher=FAST, **kw)
    store.setup()
    return store


@pytest.fixture
def store(tmp_path):
    s = make_store(tmp_path)
    yield s
    s.close()


def test_migrations_create_the_accounts_table(store):
    tables = inspect(store.engine).get_table_names()
    assert {"accounts", "alembic_version"} <= set(tables)
    columns = {c["name"] for c in inspect(store.engine).get_columns("accounts")}
    assert {"username", "role", "agency", "password_hash", "disabled", "created_at", "password_changed_at",
            "sessions_valid_after", "totp_secret", "totp_last_step", "must_change_password"} <= columns
    assert not {"failed_logins", "locked_until"} & columns  # the lockout is gone (api/accounts/throttle.py)
    assert {"recovery_codes", "sign_in_failures"} <= set(tables)
    store.setup()  # running them again changes nothing


def test_add_list_disable(store):
    store.add("Budi.Santoso", "officer", "DPUPR", GOOD, now=T0)
    store.add("rina", "coordinator", None, GOOD + "!", now=T0)
    accounts = store.list()
    assert [(a.username, a.role, a.agency, a.disabled) for a in accounts] == [
        ("budi.santoso", "officer", "DPUPR", False), ("rina", "coordinator", None, False)]
    assert accounts[0].created_at == T0
    disabled = store.disable("budi.santoso", now=T0 + timedelta(hours=1))
    assert disabled.disabled and disabled.sessions_valid_after == T0 + timedelta(hours=1)
    assert store.get("budi.santoso").disabled
    with pytest.raises(AccountError):
        store.disable("nobody")


def test_the_password_is_stored_as_an_argon2id_hash(store):
    account = store.add("budi", "officer", "DPUPR", GOOD)
    assert GOOD not in account.password_hash
    assert account.password_hash.startswith("$argon2id$")
    assert FAST.verify(account.password_hash, GOOD)


def test_a_hash_with_old_parameters_is_renewed_at_login(tmp_path):
    old = make_store(tmp_path)
    old.add("budi", "officer", "DPUPR", GOOD)
    old.close()
    stronger = AccountStore(f"sqlite:///{tmp_path}/accounts.db", lambda code: True,
                            hasher=PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    before = stronger.get("budi").password_hash
    assert stronger.authenticate("budi", GOOD) is not None
    after = stronger.get("budi").password_hash
    assert after != before and "m=2048,t=2" in after
    stronger.close()


@pytest.mark.parametrize("password, username, why", [
    ("short1", "budi", "8"),
    ("x" * 129, "budi", "128"),
    ("password123", "budi", "common"),
    ("BENGKULU", "budi", "common"),
    ("Indonesia", "budi", "common"),
    ("merdeka1945", "budi", "common"),
    ("budi.santoso", "budi.santoso", "username"),
])
def test_weak_passwords_are_refused(password, username, why):
    with pytest.raises(WeakPassword, match=why):
        check_password(password, username)


def test_long_and_uncommon_passwords_pass():
    check_password(GOOD, "budi")
    check_password("x" * 64 + "y" * 64, "budi")


def test_the_store_refuses_bad_accounts(store):
    with pytest.raises(WeakPassword):
        store.add("budi", "officer", "DPUPR", "rahasia")
    with pytest.raises(AccountError, match="NOPE"):
        store.add("budi", "officer", "NOPE", GOOD)
    with pytest.raises(AccountError, match="agency"):
        store.add("budi", "supervisor", None, GOOD)
    with pytest.raises(AccountError, match="role"):
        store.add("budi", "mayor", None, GOOD)
    with pytest.raises(AccountError, match="username"):
        store.add("b", "admin", None, GOOD)
    with pytest.raises(AccountError, match="username"):
        store.add("budi santoso", "admin", None, GOOD)
    store.add("budi", "officer", "DPUPR", GOOD)
    with pytest.raises(AccountError, match="taken"):
        store.add("BUDI", "admin", None, GOOD)
    assert [a.username for a in store.list()] == ["budi"]


def test_authenticate(store):
    store.add("budi", "officer", "DPUPR", GOOD)
    assert store.authenticate("budi", GOOD).username == "budi"
    assert store.authenticate("Budi", GOOD).username == "budi"
    assert store.authenticate("budi", GOOD + "x") is None
    assert store.authenticate("nobody", GOOD) is None
    assert store.authenticate("", "") is None


def test_a_disabled_account_cannot_authenticate(store):
    store.add("budi", "officer", "DPUPR", GOOD)
    store.disable("budi")
    assert store.authenticate("budi", GOOD) is None


def test_sessions_end_when_the_account_is_disabled(store):
    store.add("budi", "officer", "DPUPR", GOOD, now=T0)
    token = store.open_session("budi", 3600, now=T0 + timedelta(minutes=1))
    assert store.session_account(token, 1800, now=T0 + timedelta(minutes=2)).username == "budi"
    store.disable("budi", now=T0 + timedelta(minutes=5, microseconds=500))
    assert store.session_account(token, 1800, now=T0 + timedelta(minutes=6)) is None


def test_an_unknown_username_costs_a_hash_check(store, monkeypatch):
    checked = []
    original = store._verify
    monkeypatch.setattr(store, "_verify", lambda h, p: checked.append(h) or original(h, p))
    assert store.authenticate("nobody", GOOD) is None
    assert checked == [store._dummy_hash]


# -- the command line ----------------------------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("ADUAN_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    return tmp_path


def test_cli_users_add_list_disable(cli_env):
    result = runner.invoke(cli, ["users", "add", "budi", "--role", "officer", "--agency", "DPUPR"], input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert "added budi" in result.output
    result = runner.invoke(cli, ["users", "add", "rina", "--role", "admin"], input=GOOD + "\n")
    assert result.exit_code == 0, result.output

    result = runner.invoke(cli, ["users", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split() == ["budi", "officer", "DPUPR", "no", "no", "ok"]
    assert lines[2].split() == ["rina", "admin", "-", "no", "yes", "(10", "codes)", "ok"]

    result = runner.invoke(cli, ["users", "disable", "budi"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["users", "list"]).output.splitlines()[1].split()[3] == "yes"

    # An admin gets a second factor at once: its URI and recovery codes are printed, once.
    added = runner.invoke(cli, ["users", "add", "sari", "--role", "admin"], input=GOOD + "\n")
    assert "otpauth://totp/" in added.output and "sari" in added.output
    code = re.compile(r"\s+[a-z2-9]{4}(-[a-z2-9]{4}){2}")
    codes = [line.strip() for line in added.output.splitlines() if code.fullmatch(line)]
    assert len(codes) == 10
    store = AccountStore(f"sqlite:///{cli_env}/cli.db", lambda code: True)
    with pytest.raises(MfaRequired):
        store.authenticate("sari", GOOD)
    assert store.authenticate("sari", GOOD, codes[0]).role == "admin"
    assert store.get("sari").totp_secret in added.output
    store.close()


@pytest.mark.parametrize("args, password, message", [
    (["budi", "--role", "officer", "--agency", "NOPE"], GOOD, "NOPE"),
    (["budi", "--role", "officer"], GOOD, "agency"),
    (["budi", "--role", "admin"], "bengkulu", "common"),
    (["budi", "--role", "admin"], "pendek", "8"),
])
def test_cli_users_add_refuses_with_a_clear_message(cli_env, args, password, message):
    result = runner.invoke(cli, ["users", "add", *args], input=password + "\n")
    assert result.exit_code == 1
    assert message in result.output


def test_cli_users_add_refuses_a_duplicate(cli_env):
    assert runner.invoke(cli, ["users", "add", "budi", "--role", "admin"], input=GOOD + "\n").exit_code == 0
    result = runner.invoke(cli, ["users", "add", "budi", "--role", "admin"], input=GOOD + "\n")
    assert result.exit_code == 1
    assert "taken" in result.output


def test_cli_users_disable_an_unknown_account(cli_env):
    result = runner.invoke(cli, ["users", "disable", "nobody"])
    assert result.exit_code == 1
    assert "nobody" in result.output


def test_cli_mfa_reset_replaces_the_second_factor(cli_env):
    assert runner.invoke(cli, ["users", "add", "budi", "--role", "officer", "--agency", "DPUPR"],
                         input=GOOD + "\n").exit_code == 0
    store = AccountStore(f"sqlite:///{cli_env}/cli.db", lambda code: True)
    assert store.authenticate("budi", GOOD) is not None  # an officer without a second factor: the password does
    first = runner.invoke(cli, ["users", "mfa-reset", "budi"])
    assert first.exit_code == 0 and "otpauth://totp/" in first.output
    old_secret = store.get("budi").totp_secret
    with pytest.raises(MfaRequired):  # set up: required from now on
        store.authenticate("budi", GOOD)
    second = runner.invoke(cli, ["users", "mfa-reset", "budi"])
    assert second.exit_code == 0
    new_secret = store.get("budi").totp_secret
    assert new_secret != old_secret and new_secret in second.output and old_secret not in second.output
    assert runner.invoke(cli, ["users", "mfa-reset", "nobody"]).exit_code == 1
    store.close()


def test_cli_reset_password_gives_a_one_time_password_that_must_be_changed(cli_env):
    assert runner.invoke(cli, ["users", "add", "budi", "--role", "officer", "--agency", "DPUPR"],
                         input=GOOD + "\n").exit_code == 0
    store = AccountStore(f"sqlite:///{cli_env}/cli.db", lambda code: True)
    token = store.open_session("budi", 3600)
    result = runner.invoke(cli, ["users", "reset-password", "budi"])
    assert result.exit_code == 0, result.output
    one_time = result.output.split("one-time password of budi: ")[1].split()[0]
    assert store.session_account(token, 1800) is None  # its sessions ended
    assert store.authenticate("budi", GOOD) is None
    account = store.authenticate("budi", one_time)
    assert account is not None and account.must_change_password
    store.change_password("budi", one_time, GOOD + "-baru")
    assert not store.get("budi").must_change_password
    assert runner.invoke(cli, ["users", "reset-password", "nobody"]).exit_code == 1
    store.close()


@pytest.mark.parametrize("args", [["users"], ["users", "add"], ["users", "disable"], ["users", "list"],
                                  ["users", "mfa-reset"], ["users", "reset-password"]])
def test_users_commands_have_help(args):
    result = runner.invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) > 3


def test_demo_accounts_pass_the_policy_and_a_rerun_adds_none(tmp_path):
    from aduan.demo import DEMO_ACCOUNTS, DEMO_OPEN311_KEY, ensure_demo_accounts
    from api.accounts import AccountStore
    from config.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}")
    ensure_demo_accounts(settings, log=lambda m: None)
    ensure_demo_accounts(settings, log=lambda m: None)
    store = AccountStore.from_settings(settings)
    try:
        assert [(a.username, a.role, a.agency) for a in store.list()] == sorted(DEMO_ACCOUNTS)
        assert store.api_key_owner(DEMO_OPEN311_KEY[1]) == DEMO_OPEN311_KEY[0]
        assert len(store.api_keys()) == 1
    finally:
        store.close()


def test_page_sessions_end_at_sign_out_idle_time_and_absolute_expiry(store):
    store.add("budi", "officer", "DPUPR", GOOD, now=T0)
    token = store.open_session("budi", lifetime_s=3600, now=T0)
    assert "staff_sessions" in inspect(store.engine).get_table_names()
    assert store.session_account(token, idle_s=600, now=T0 + timedelta(minutes=9)).username == "budi"
    # Each use keeps it alive: 9 more minutes after the last one is still within the idle time ...
    assert store.session_account(token, idle_s=600, now=T0 + timedelta(minutes=18)) is not None
    # ... but not past the absolute end, however busy.
    for minute in range(27, 61, 9):
        assert store.session_account(token, idle_s=600, now=T0 + timedelta(minutes=minute)) is not None
    assert store.session_account(token, idle_s=600, now=T0 + timedelta(minutes=61)) is None
    assert store.session_account(token, idle_s=600, now=T0 + timedelta(minutes=30)) is None  # gone for good

    idle = store.open_session("budi", lifetime_s=3600, now=T0)
    assert store.session_account(idle, idle_s=600, now=T0 + timedelta(minutes=11)) is None

    ended = store.open_session("budi", lifetime_s=3600, now=T0)
    store.end_session(ended)
    assert store.session_account(ended, idle_s=600, now=T0) is None
    assert store.session_account("a-token-nobody-was-given", idle_s=600, now=T0) is None


def test_page_sessions_end_when_the_account_is_disabled_and_only_hashes_are_stored(store):
    store.add("sari", "supervisor", "DINKES", GOOD, now=T0)
    token = store.open_session("sari", lifetime_s=3600, now=T0 + timedelta(seconds=5))
    with store.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT token_hash FROM staff_sessions").scalars().all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64
    store.disable("sari", now=T0 + timedelta(seconds=10))
    assert store.session_account(token, idle_s=600, now=T0 + timedelta(seconds=11)) is None


def test_open311_keys_are_stored_as_hashes_and_can_be_revoked(store):
    key = store.add_api_key("kelurahan-app")
    assert len(key) >= 20 and store.api_key_owner(key) == "kelurahan-app"
    with store.engine.connect() as connection:
        assert key not in str(connection.exec_driver_sql("SELECT * FROM api_keys").all())
    assert store.api_key_owner(key + "x") is None and store.api_key_owner("") is None
    with pytest.raises(AccountError, match="taken"):
        store.add_api_key("kelurahan-app")
    with pytest.raises(AccountError, match="at least 20"):
        store.add_api_key("pendek", key="terlalu-pendek")
    store.revoke_api_key("kelurahan-app")
    assert store.api_key_owner(key) is None
    with pytest.raises(AccountError, match="no key"):
        store.revoke_api_key("tidak-ada")


def test_cli_open311_keys(cli_env):
    made = runner.invoke(cli, ["open311", "add-key", "aplikasi-warga"])
    assert made.exit_code == 0, made.output
    key = made.output.strip()
    assert len(key) >= 20
    listed = runner.invoke(cli, ["open311", "list-keys"])
    assert "aplikasi-warga" in listed.output and key not in listed.output
    assert runner.invoke(cli, ["open311", "revoke-key", "aplikasi-warga"]).exit_code == 0
    missing = runner.invoke(cli, ["open311", "revoke-key", "tidak-ada"])
    assert missing.exit_code != 0 and "no key named" in missing.output
    for args in (["open311"], ["open311", "add-key"], ["open311", "revoke-key"], ["open311", "list-keys"]):
        assert runner.invoke(cli, [*args, "--help"]).exit_code == 0


def test_a_sqlite_accounts_database_writes_ahead_to_its_log(store, tmp_path):
    """WAL: readers never wait for a writer, and a submission's idempotency key costs one sync, not two."""
    from sqlalchemy import text

    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    store.claim_submission_key("web", "req-1", "fp", "BKL-AAAAA-BBBBB")
    assert (tmp_path / "accounts.db-wal").exists()


def test_a_staff_session_lives_twelve_hours_at_most():
    from pydantic import ValidationError

    from config.settings import Settings

    assert Settings(staff_token_ttl_s=12 * 3600).staff_token_ttl_s == 12 * 3600
    with pytest.raises(ValidationError, match="staff_token_ttl_s"):
        Settings(staff_token_ttl_s=12 * 3600 + 1)
