"""Article dates: the calendar day of an ISO-8601 date, shared by reading, statistics and evaluation."""

from __future__ import annotations

import datetime as _dt


def day_of(value: str) -> str | None:
    """The calendar day ("YYYY-MM-DD", as written in the article's own time zone) of an ISO-8601
    date or date-time such as "2020-05-12T10:00:00+02:00"; None when it is empty or not one."""
    value = value.strip()
    if not value:
        return None
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        try:
            return _dt.date.fromisoformat(value[:10]).isoformat() if len(value) == 10 else None
        except ValueError:
            return None
