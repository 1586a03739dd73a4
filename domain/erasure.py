"""Erasure of a case's personal data (UU PDP 27/2022, crypto-shredding; README, "Personal data").

Once a case's data key is destroyed (`aduan privacy erase`, or the retention job), every personal field sealed
under it opens as erased, and the `case.personal_data_erased` event makes the case's state erased too. Both
give the same values, so the live projection and one rebuilt from the log agree:

- a text that was given (title, description, address, every timeline text, resolution, rating comment,
  rejection reason, referral) becomes `ERASED`; one that was not stays None;
- the reporter's contact, the exact coordinates, the attribute answers and the media link are dropped;
- the photos (deleted from storage by the erasure) leave the case.

What a value was never matters, only whether it was given: the sealed records keep that in clear
(`producers/sealing.py`).
"""

from __future__ import annotations

from typing import Any

ERASED = "[dihapus]"  # "erased": what stands where an erased text was

# The complaint's personal fields that have no text to stand in for them: erased, they are simply gone.
_GONE: dict[str, Any] = {"reporter": {}, "lat": None, "lon": None, "attributes": {}, "media_url": None}


def erased_value(name: str) -> Any:
    """What a sealed field called `name` is once its key is destroyed."""
    if name in _GONE:
        value = _GONE[name]
        return type(value)() if isinstance(value, dict) else value
    return ERASED


def erased_text(text: str | None) -> str | None:
    return None if text is None else ERASED
