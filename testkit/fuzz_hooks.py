"""schemathesis hooks for `testkit.fuzzing` (loaded by its CLI through SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import schemathesis
from hypothesis import strategies as st

from servicekit.ids import ID_PATTERN
from testkit.errors import MAX_ERROR_BYTES

#: A successful answer is at most a page of 1,000 records.
MAX_ANSWER_BYTES = 1024 * 1024
KNOWN_IDS: dict[str, list[str]] = json.loads(os.environ.get("FUZZ_KNOWN_IDS", "{}"))


@schemathesis.check
def bounded_body(_ctx: Any, response: Any, _case: Any) -> None:
    """No answer grows with what the client sent: errors under 8 KiB, pages under 1 MiB."""
    bound = MAX_ERROR_BYTES if response.status_code >= 400 else MAX_ANSWER_BYTES
    size = len(response.content or b"")
    if size > bound:
        raise AssertionError(f"a {response.status_code} answer of {size} bytes (bound {bound})")


@schemathesis.hook
def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half the time, use ids that exist, so requests get past the 404s.

    Only valid generated ids are swapped: an invalid one is the point of a negative case.
    """
    names = [
        name
        for name, value in (path_parameters or {}).items()
        if name in KNOWN_IDS and re.fullmatch(ID_PATTERN, str(value))
    ]
    if not names:
        return st.just(path_parameters)
    existing = st.fixed_dictionaries({name: st.sampled_from(KNOWN_IDS[name]) for name in names})
    return st.one_of(st.just(path_parameters), existing.map(lambda ids: {**path_parameters, **ids}))
