"""Signing in at the store: the second factor (TOTP once per time step, recovery codes once), changes and
resets of passwords, and the throttle that slows failures down without ever locking an account."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from api.accounts import MfaRequired, SignInThrottled, WeakPassword, WrongPassword
from api.accounts.mfa import code_now, matching_step, new_secret
from api.accounts.throttle import ThrottlePolicy, slow_s, wait_s
from tests.unit.test_accounts import GOOD, T0, make_store

pytestmark = pytest.mark.unit
HERE, THERE = "10.0.0.1", "10.0.0.2"


@pytest.fixture
def store(tmp_path):
    s = make_store(tmp_path)
    yield s
    s.close()


# -- the second factor --------------------------------------------------------------------------------

def test_a_coordinator_needs_a_valid_code_and_a_missing_code_is_not_a_failure(store):
    store.add("rina", "coordinator", None, GOOD, now=T0)
    enrollment = store.enroll_mfa("rina", now=T0)
    assert enrollment.uri.startswith("otpauth://totp/") and "rina" in enrollment.uri
    for _ in range(10):  # many tries without a code: none counts, nothing slows
        with pytest.raises(MfaRequired):
            store.authenticate("rina", GOOD, address=HERE, now=T0)
    assert store.sign_in_wait("rina", HERE, now=T0) == (0.0, 0.0)
    with pytest.raises(MfaRequired):
        store.authenticate("rina", GOOD, "000000" if code_now(enrollment.secret, T0) != "000000" else "111111",
                           address=HERE, now=T0)
    assert store.authenticate("rina", GOOD, code_now(enrollment.secret, T0), address=HERE, now=T0).username == "rina"


def test_a_coordinator_without_a_second_factor_cannot_sign_in(store):
    store.add("rina", "coordinator", None, GOOD)
    with pytest.raises(MfaRequired):
        store.authenticate("rina", GOOD, "123456")


def test_a_wrong_password_with_a_right_code_is_a_plain_failure(store):
    store.add("rina", "admin", None, GOOD)
    enrollment = store.enroll_mfa("rina", now=T0)
    assert store.authenticate("rina", GOOD + "x", code_now(enrollment.secret, T0), now=T0) is None


def test_a_totp_code_works_once(store):
    store.add("rina", "admin", None, GOOD)
    secret = store.enroll_mfa("rina", now=T0).secret
    code = code_now(secret, T0)
    assert store.authenticate("rina", GOOD, code, now=T0) is not None
    with pytest.raises(MfaRequired):  # replayed within its 30 s
        store.authenticate("rina", GOOD, code, now=T0 + timedelta(seconds=5))
    later = T0 + timedelta(seconds=30)
    assert store.authenticate("rina", GOOD, code_now(secret, later), now=later) is not None


def test_one_step_of_clock_drift_either_way_is_allowed():
    secret = new_secret()
    assert matching_step(secret, code_now(secret, T0 - timedelta(seconds=30)), T0, None) is not None
    assert matching_step(secret, code_now(secret, T0 + timedelta(seconds=30)), T0, None) is not None
    assert matching_step(secret, code_now(secret, T0 + timedelta(seconds=90)), T0, None) is None
    assert matching_step(secret, "12345", T0, None) is None and matching_step(secret, "١٢٣٤٥٦", T0, None) is None


def test_recovery_codes_work_once_each_and_are_stored_hashed(store):
    store.add("rina", "admin", None, GOOD)
    enrollment = store.enroll_mfa("rina")
    first, second = enrollment.recovery_codes[:2]
    assert store.authenticate("rina", GOOD, first.upper().replace("-", " ")) is not None  # as people type it
    with pytest.raises(MfaRequired):
        store.authenticate("rina", GOOD, first)
    assert store.authenticate("rina", GOOD, second) is not None
    assert store.recovery_codes_left("rina") == 8
    with store.engine.connect() as connection:
        stored = " ".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM recovery_codes"))
    assert not any(code in stored or code.replace("-", "") in stored for code in enrollment.recovery_codes)


def test_a_new_enrollment_ends_the_old_factor_and_the_sessions(store):
    store.add("rina", "admin", None, GOOD)
    old = store.enroll_mfa("rina", now=T0)
    token = store.open_session("rina", 3600, now=T0 + timedelta(seconds=2))
    new = store.enroll_mfa("rina", now=T0 + timedelta(seconds=3))
    assert store.session_account(token, 1800, now=T0 + timedelta(seconds=4)) is None
    later = T0 + timedelta(minutes=5)
    with pytest.raises(MfaRequired):
        store.authenticate("rina", GOOD, old.recovery_codes[0], now=later)
    with pytest.raises(MfaRequired):
        store.authenticate("rina", GOOD, code_now(old.secret, later), now=later)
    assert store.authenticate("rina", GOOD, code_now(new.secret, later), now=later) is not None


# -- passwords ----------------------------------------------------------------------------------------

def test_changing_the_password_ends_every_other_session(store):
    store.add("budi", "officer", "DPUPR", GOOD, now=T0)
    here = store.open_session("budi", 3600, now=T0)
    elsewhere = store.open_session("budi", 3600, now=T0)
    store.change_password("budi", GOOD, "teh-manis-di-benteng-marlborough", keep_session=here, now=T0)
    assert store.session_account(here, 1800, now=T0) is not None
    assert store.session_account(elsewhere, 1800, now=T0) is None
    assert store.authenticate("budi", GOOD) is None
    assert store.authenticate("budi", "teh-manis-di-benteng-marlborough") is not None


def test_a_password_change_needs_the_current_password_and_a_good_new_one(store):
    store.add("budi", "officer", "DPUPR", GOOD)
    with pytest.raises(WrongPassword):
        store.change_password("budi", "not-the-password", "teh-manis-di-benteng-marlborough")
    with pytest.raises(WrongPassword):
        store.change_password("budi", GOOD, GOOD)
    with pytest.raises(WeakPassword):
        store.change_password("budi", GOOD, "password")
    assert store.authenticate("budi", GOOD) is not None


def test_guessing_the_current_password_at_a_change_is_throttled_as_a_sign_in(store):
    """A stolen session cannot try current password after current password to take the account over."""
    store.add("budi", "officer", "DPUPR", GOOD)
    for _ in range(store.throttle.free_user_address):
        with pytest.raises(WrongPassword):
            store.change_password("budi", "a-guess", "teh-manis-di-benteng-marlborough", address=THERE, now=T0)
    with pytest.raises(SignInThrottled):
        store.change_password("budi", GOOD, "teh-manis-di-benteng-marlborough", address=THERE, now=T0)
    assert store.authenticate("budi", GOOD, address=HERE, now=T0) is not None


# -- the throttle -------------------------------------------------------------------------------------

def test_waits_and_slow_downs_grow_and_are_capped():
    assert [wait_s(n, 5, 900) for n in (0, 4, 5, 6, 7, 14, 15, 40)] == [0, 0, 1, 2, 4, 512, 900, 900]
    assert [slow_s(n, 5, 8) for n in (4, 5, 6, 9, 50)] == [0, 0.5, 1, 8, 8]


def fail(store, username, address, now, times=1) -> datetime:
    """`times` wrong passwords, each as soon as the address may try again; the time of the last one."""
    for _ in range(times):
        now += timedelta(seconds=store.sign_in_wait(username, address, now=now)[0])
        assert store.authenticate(username, "not-the-password", address=address, now=now) is None
    return now


def test_an_attacker_throttles_their_own_address_and_never_locks_the_real_user_out(store):
    store.add("budi", "officer", "DPUPR", GOOD)
    now = fail(store, "budi", THERE, T0, times=12)
    refuse, slow = store.sign_in_wait("budi", THERE, now=now)
    assert refuse == 2 ** 7  # 12 failures, 5 free: 128 s for that address, for that username
    with pytest.raises(SignInThrottled) as refused:  # even the right password, unchecked
        store.authenticate("budi", GOOD, address=THERE, now=now)
    assert refused.value.retry_after_s == 128
    # The real user at another address is never refused, only slowed (the username's counter), and signs in.
    refuse, slow = store.sign_in_wait("budi", HERE, now=now)
    assert refuse == 0 and slow == store.throttle.max_slow_s
    assert store.authenticate("budi", GOOD, address=HERE, now=now) is not None
    # The success clears the username's counters, not the attacker's address.
    assert store.sign_in_wait("budi", HERE, now=now) == (0.0, 0.0)
    assert store.sign_in_wait("budi", THERE, now=now)[0] == 2 ** 7


def test_attempts_in_parallel_cannot_pass_the_throttle_together(tmp_path):
    """Each attempt is counted before its password is checked, in one transaction with the check."""
    stores = [make_store(tmp_path) for _ in range(4)]  # four API processes on one database
    admitted, refused = [], []

    def attempt(i: int) -> None:
        try:
            stores[i % 4].begin_sign_in("budi", THERE, now=T0)
            admitted.append(i)
        except SignInThrottled:
            refused.append(i)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(attempt, range(40)))
    assert len(admitted) == stores[0].throttle.free_user_address and len(refused) == 35
    for store in stores:
        store.close()


def test_a_missing_code_and_a_success_take_the_count_back(store):
    store.add("rina", "admin", None, GOOD)
    secret = store.enroll_mfa("rina", now=T0).secret
    for _ in range(20):
        with pytest.raises(MfaRequired):
            store.authenticate("rina", GOOD, address=HERE, now=T0)
    assert store.sign_in_wait("rina", HERE, now=T0) == (0.0, 0.0)
    now = fail(store, "rina", HERE, T0, times=4)
    assert store.authenticate("rina", GOOD, code_now(secret, now), address=HERE, now=now) is not None
    assert store.sign_in_wait("rina", HERE, now=now) == (0.0, 0.0)


def test_an_address_trying_many_usernames_waits(tmp_path):
    store = make_store(tmp_path, throttle=ThrottlePolicy(free_address=6))
    for i in range(6):
        fail(store, f"user{i}", THERE, T0)  # one failure each: no username-and-address counter is over
    assert store.sign_in_wait("someone-else", THERE, now=T0)[0] == 1
    with pytest.raises(SignInThrottled):
        store.authenticate("someone-else", GOOD, address=THERE, now=T0)
    assert store.sign_in_wait("someone-else", HERE, now=T0) == (0.0, 0.0)
    store.close()


def test_an_unknown_username_is_throttled_exactly_like_a_known_one(store):
    store.add("budi", "officer", "DPUPR", GOOD)
    known = fail(store, "budi", THERE, T0, times=7)
    unknown = fail(store, "nobody-here", HERE, T0, times=7)
    assert known == unknown
    assert store.sign_in_wait("budi", THERE, now=known) == store.sign_in_wait("nobody-here", HERE, now=unknown)


def test_counters_are_forgotten_after_a_quiet_day(store):
    last = fail(store, "budi", THERE, T0, times=10)
    assert store.sign_in_wait("budi", THERE, now=last + timedelta(hours=23))[0] == 0  # waited long enough
    assert store.sign_in_wait("budi", HERE, now=last + timedelta(hours=23))[1] > 0
    assert store.sign_in_wait("budi", HERE, now=last + timedelta(hours=25)) == (0.0, 0.0)


def test_two_stores_on_one_database_share_the_counters(tmp_path):
    """Two API processes: failures at either count for both."""
    first, second = make_store(tmp_path), make_store(tmp_path)
    now = fail(first, "budi", THERE, T0, times=3)
    now = fail(second, "budi", THERE, now, times=3)
    assert first.sign_in_wait("budi", THERE, now=now)[0] == 2  # 6 failures: the second past the 5 free ones
    first.close()
    second.close()


def test_after_ten_wrong_codes_only_a_recovery_code_works_for_a_day(store):
    """Someone with the password guessing the app's codes from many addresses: the codes stop being tried."""
    store.add("rina", "admin", None, GOOD)
    enrollment = store.enroll_mfa("rina", now=T0)
    right = code_now(enrollment.secret, T0)
    wrong = "000000" if right != "000000" else "111111"
    for i in range(store.throttle.max_code_failures):
        with pytest.raises(MfaRequired):
            store.authenticate("rina", GOOD, wrong, address=f"10.0.{i}.1", now=T0)
    with pytest.raises(MfaRequired):  # the right code, no longer tried
        store.authenticate("rina", GOOD, right, address="10.9.9.9", now=T0)
    assert store.authenticate("rina", GOOD, enrollment.recovery_codes[0], address="10.9.9.9", now=T0) is not None
    later = T0 + timedelta(days=1, seconds=60)
    assert store.authenticate("rina", GOOD, code_now(enrollment.secret, later), address="10.9.9.9", now=later)


def test_an_ipv6_client_is_counted_by_its_64():
    from api.accounts.throttle import address_key

    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:10.0.0.1") == address_key("10.0.0.1") == "a:10.0.0.1"
    assert address_key("unknown") == "a:unknown"


def test_counters_of_every_username_are_forgotten(store):
    for i in range(30):
        fail(store, f"random-{i}", THERE, T0)
    fail(store, "budi", HERE, T0 + timedelta(days=2))
    with store.engine.connect() as connection:
        keys = [row[0] for row in connection.exec_driver_sql("SELECT key FROM sign_in_failures")]
    assert len(keys) == 3  # budi's three counters; the thirty random usernames' are gone
