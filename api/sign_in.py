"""Signing in, the same for the sign-in page and `POST /api/v1/auth/token`: the throttle first (a refused
attempt checks no password; an admitted one is counted as failed until it succeeds), then the password and,
where the account needs one, the second factor.

The slow-down of a username under attack is an `asyncio.sleep` here, not a sleep in the thread pool, so many
held answers cost the API no threads (api/accounts/throttle.py explains the counters).
"""

from __future__ import annotations

import asyncio

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from api.accounts import Account
from api.deps import Services
from api.ratelimit import client_address


async def sign_in(services: Services, request: Request, username: str, password: str, otp: str | None
                  ) -> Account | None:
    """The account, or None for a wrong username or password (one answer for both). Raises SignInThrottled
    and MfaRequired (api/accounts/store.py)."""
    accounts = services.accounts
    if accounts is None:
        raise HTTPException(503, "Akun belum tersedia / accounts are not configured")
    address = client_address(request)
    slow_s = await run_in_threadpool(accounts.begin_sign_in, username, address)  # SignInThrottled
    if slow_s > 0:
        await asyncio.sleep(slow_s)
    return await run_in_threadpool(lambda: accounts.authenticate(username, password, otp, address=address,
                                                                 begun=True))
