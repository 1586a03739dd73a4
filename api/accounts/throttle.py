"""How failed sign-ins slow down the next ones, without a lock anyone could put on someone else's account.

Three counters, shared by every API process (the `sign_in_failures` table of the accounts database):

- **per username and client address**: after `free_user_address` failures, that address must wait before
  its next attempt on that username, 1 s, 2 s, 4 s … up to `max_wait_s` (429 with Retry-After). An attacker
  at one address throttles only themselves: the real user, elsewhere, is not refused.
- **per client address**, all usernames together: after `free_address` failures, the same growing waits
  (against one address trying password after password across many usernames).
- **per username**, all addresses together: after `free_user` failures, every answer for that username is
  *slowed* (0.5 s, 1 s, 2 s … up to `max_slow_s`) but never refused: many addresses guessing one password
  go slowly, while the real user still signs in, a few seconds later at worst.

A username counts the same whether an account has it or not (the key is a hash of the name), so throttling
tells nobody which usernames exist. An IPv6 client is counted by its /64. After `max_code_failures` wrong
second-factor codes in a day (which only someone with the password can send) the app's codes are no longer
tried, only recovery codes: a million possible codes would otherwise fall to many addresses guessing in
parallel.

A success clears its username's counters, never an address's (an attacker with an account of their own could
otherwise clear their address by signing in). A counter is forgotten `forget_after_s` after its last failure.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    free_user_address: int = 5
    free_address: int = 20
    free_user: int = 5
    max_wait_s: float = 15 * 60
    max_slow_s: float = 8.0
    forget_after_s: float = 24 * 3600
    max_code_failures: int = 10  # wrong second-factor codes a day (password right), then only recovery codes


def wait_s(failures: int, free: int, cap: float) -> float:
    """Seconds an address waits after its last failure, having failed `failures` times (doubling from 1 s)."""
    return 0.0 if failures < free else float(min(cap, 2 ** min(failures - free, 30)))


def slow_s(failures: int, free: int, cap: float) -> float:
    """Seconds every answer for a username is held, having failed `failures` times (doubling from 0.5 s)."""
    return 0.0 if failures < free else float(min(cap, 0.5 * 2 ** min(failures - free, 30)))


def user_key(username: str) -> str:
    return "u:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:40]


def code_key(username: str) -> str:
    return "c:" + user_key(username)[2:]


def client_of(address: str) -> str:
    """The unit an address is counted as: itself for IPv4, its /64 for IPv6 (one subscriber's line holds a
    whole /64, so counting single addresses would give an attacker 2^64 fresh ones)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def user_address_key(username: str, address: str) -> str:
    return f"ua:{user_key(username)[2:]}:{client_of(address)}"


def address_key(address: str) -> str:
    return f"a:{client_of(address)}"
