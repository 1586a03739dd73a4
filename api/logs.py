"""What the API's logs may hold: the path of each request, never its query string.

Query strings carry secrets and personal words: a citizen's case secret (`/lacak/{id}?kunci=…`), search
words, photo secrets. uvicorn's access log prints the full path; this filter cuts it at the `?`.
"""

from __future__ import annotations

import logging


class WithoutQuery(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def keep_query_strings_out_of_logs() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, WithoutQuery) for f in access.filters):
        access.addFilter(WithoutQuery())
