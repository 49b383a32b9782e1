"""The scenario file: everything one run needs, validated before any service is touched.

A scenario is YAML; every mapping rejects unknown keys, and errors name the offending field by
its path (``products[2].policy.type``). The arrival model and the tagged forms
(distributions, policies) are validated by the class their tag names, so adding a model or a
distribution needs no change here.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic import field_validator, model_validator

from customer_sim.domain.calendar import ROUND_THE_CLOCK, OpeningHours, SimulationCalendar
from customer_sim.domain.distributions import Constant, DistributionField, Uniform
from customer_sim.domain.product import ProductSpec
from customer_sim.domain.tagged import field_error
from customer_sim.domain.arrivals import ArrivalModelField
from servicekit.simtime import END, SPAN, Instant

_CLOCK_TIME = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")
_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"


class ScenarioError(Exception):
    """A scenario that cannot be run, with one line per problem (``path: message``)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"scenario error in {source}: {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpeningHoursSpec(_Strict):
    """``{open: "08:00", close: "21:00"}``, in the start's time zone; close may be "24:00"."""

    open: str
    close: str

    @field_validator("open", "close")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _CLOCK_TIME.match(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 24:00)")
        return value

    @model_validator(mode="after")
    def _close_after_open(self) -> OpeningHoursSpec:
        if _minutes(self.close) <= _minutes(self.open):
            message = f"must be later than open ({self.open}); overnight hours are not supported"
            raise field_error("opening_hours", "close", message, self.close)
        return self

    def to_calendar(self) -> OpeningHours:
        return OpeningHours(_minutes(self.open), _minutes(self.close))


class WishListSpec(_Strict):
    size: DistributionField = Field(description="Distinct products wanted (a count).")
    quantity: DistributionField = Field(
        default_factory=lambda: Constant(dist="constant", value=1),
        description="Units wanted of each product (a count; below 1 counts as 1).",
    )


class CustomerSpec(_Strict):
    budget: DistributionField | None = Field(
        None, description="Money to spend per visit; absent or null: no limit."
    )
    wish_list: WishListSpec
    step_minutes: DistributionField = Field(
        default_factory=lambda: Uniform(dist="uniform", low=1, high=5),
        description="Minutes between the steps of a visit (browse, pick, queue, exit).",
    )


class CostSpec(_Strict):
    """What holding stock, ordering and losing a sale cost: the terms a policy trades off.

    The defaults are illustrative, not industry figures: set your own. Unit costs and the
    lost-sale penalty are per product (``unit_cost``, ``lost_sale_penalty``)."""

    holding_cost_rate: float = Field(
        0.25, ge=0, le=100, description="Holding a unit a year costs this share of its unit cost."
    )
    order_cost: Decimal = Field(
        Decimal("10.00"),
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="Fixed cost of each purchase order.",
    )


class Scenario(_Strict):
    name: str = Field(pattern=_NAME_PATTERN, description="Defaults to the file name.")
    description: str = ""
    seed: int = Field(ge=0, le=2**63 - 1)
    start: Instant = Field(description="A midnight, with its zone: days start there.")
    days: int = Field(ge=1, le=3660)
    opening_hours: OpeningHoursSpec | None = Field(None, description="Absent: round the clock.")
    arrivals: ArrivalModelField
    customers: CustomerSpec
    products: list[ProductSpec] = Field(min_length=1, max_length=1000)
    costs: CostSpec = Field(default_factory=CostSpec)

    @field_validator("start")
    @classmethod
    def _midnight(cls, start: datetime) -> datetime:
        if (start.hour, start.minute, start.second, start.microsecond) != (0, 0, 0, 0):
            raise ValueError(
                f"must be a midnight (days and opening hours count from it), got {start.time()}"
            )
        return start

    @model_validator(mode="after")
    def _ends_within_the_span(self) -> Scenario:
        # The services accept instants within servicekit.simtime's span only.
        if self.start + timedelta(days=self.days) > END:
            raise ValueError(f"start + days must end by 3000-01-01 (every part accepts {SPAN})")
        return self

    @field_validator("products")
    @classmethod
    def _unique_skus(cls, products: list[ProductSpec]) -> list[ProductSpec]:
        seen: set[str] = set()
        for index, product in enumerate(products):
            if product.sku in seen:
                raise ValidationError.from_exception_data(
                    "products",
                    [
                        {
                            "type": "value_error",
                            "loc": (index, "sku"),
                            "input": product.sku,
                            "ctx": {"error": f"duplicate sku {product.sku!r}"},
                        }
                    ],
                )
            seen.add(product.sku)
        return products

    @property
    def hours(self) -> OpeningHours:
        return self.opening_hours.to_calendar() if self.opening_hours else ROUND_THE_CLOCK

    @property
    def calendar(self) -> SimulationCalendar:
        return SimulationCalendar(self.start, self.days)

    def with_overrides(self, days: int | None = None, seed: int | None = None) -> Scenario:
        """The same scenario with the command line's ``--days`` / ``--seed`` applied."""
        update: dict[str, Any] = {}
        if days is not None:
            update["days"] = days
        if seed is not None:
            update["seed"] = seed
        if not update:
            return self
        try:
            return Scenario.model_validate({**self.model_dump(), **update})
        except ValidationError as error:
            problems = [describe(e) for e in error.errors()]
            raise ScenarioError(f"{self.name} (with --days/--seed)", problems) from error


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise `ScenarioError` naming every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(str(path), [f"cannot read the file: {error.strerror}"]) from error
    except UnicodeDecodeError as error:
        problem = f"not UTF-8 text (byte {error.start}): is it a scenario file?"
        raise ScenarioError(str(path), [problem]) from error
    return parse_scenario(text, source=path.name, default_name=path.stem)


def parse_scenario(
    text: str, source: str = "<scenario>", default_name: str = "scenario"
) -> Scenario:
    """Validate a scenario given as YAML text (``name`` defaults to ``default_name``)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError(source, [f"not valid YAML: {error}".replace("\n", " ")]) from error
    if not isinstance(data, dict):
        raise ScenarioError(source, ["the top level must be a mapping of keys to values"])
    if "name" not in data:
        data = {"name": default_name, **data}
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, [describe(e) for e in error.errors()]) from error


def describe(error: Any) -> str:
    """One pydantic error as ``path: message`` in the scenario's own terms."""
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    kind = error["type"]
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        message = "unknown key (not part of the scenario format; check the spelling)"
    elif kind == "value_error":
        message = str(error["ctx"]["error"])
    else:
        message = error["msg"]
        if kind not in ("scenario",) and not isinstance(error.get("input"), (dict, list)):
            message += f" (got {error['input']!r})"
    return f"{path or '(top level)'}: {message}"


def _minutes(clock_time: str) -> int:
    hours, minutes = clock_time.split(":")
    return int(hours) * 60 + int(minutes)
