"""The span of simulated time every part accepts, and the types that enforce it.

Time is data here: clients choose every instant. Python's dates end at 9999-12-31 and a
lead time or review period added to an instant near that edge overflows, so the parts agree
on a narrower span, wide enough for any experiment: from 1900-01-01 up to (not including)
3000-01-01, UTC. An instant outside it is a 422 naming the field, never an overflow deep in
a query. Kept free of FastAPI so that the simulator can check its scenarios with it too.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
#: Exclusive: the last accepted instant is just before 3000-01-01T00:00Z.
END = datetime(3000, 1, 1, tzinfo=timezone.utc)
SPAN = "from 1900-01-01 up to 3000-01-01 (UTC)"

# Pydantic also reads numbers ("0.5") as Unix timestamps; the API promises ISO-8601 text.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be ISO-8601 text such as 2026-03-02T09:30:00Z")
    return value


def check_instant(value: datetime) -> datetime:
    """Refuse an instant outside the span (compared by instant, whatever its zone)."""
    if not EARLIEST <= value < END:
        raise ValueError(f"must lie {SPAN}")
    return value


def check_day(value: date) -> date:
    if not EARLIEST.date() <= value < END.date():
        raise ValueError(f"must lie {SPAN}")
    return value


#: An aware instant within the span (request bodies and query parameters).
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(check_instant)]
#: A calendar day within the span.
Day = Annotated[date, BeforeValidator(_iso_text), AfterValidator(check_day)]
