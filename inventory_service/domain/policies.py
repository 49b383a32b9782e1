"""Replenishment policies: when to place a purchase order, and for how much.

Every policy sees the *inventory position* (on hand + on order) and answers with the order
quantities to place. Continuous-review policies answer after every change of position;
periodic-review policies answer at their review times. Adding a policy is one class here and
one line in ``POLICIES`` (the README shows how).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any, ClassVar

PARAMETERS = ("reorder_point", "order_quantity", "order_up_to", "review_period_minutes")


class InvalidPolicy(ValueError):
    """A policy's type or parameters are wrong; ``field`` names the offending one."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Policy:
    type: ClassVar[str]

    def validate(self) -> None:
        """Raise `InvalidPolicy` when the parameters make no sense together."""

    def on_position_change(self, position: int) -> list[int]:
        """Orders to place now that the inventory position is ``position`` (continuous review)."""
        return []

    @property
    def review_period_minutes_or_none(self) -> int | None:
        """Minutes between periodic reviews, or None for continuous-review policies."""
        return None

    def on_review(self, position: int) -> list[int]:
        """Orders to place at a periodic review when the position is ``position``."""
        return []

    def parameters(self) -> dict[str, Any]:
        """All four contract parameters, unused ones as None (the API's `policy` object)."""
        return {"type": self.type, **{name: getattr(self, name, None) for name in PARAMETERS}}


@dataclass(frozen=True)
class NoPolicy(Policy):
    """Never orders: stock only changes by adjustments and issues."""

    type: ClassVar[str] = "none"


@dataclass(frozen=True)
class ReorderPointPolicy(Policy):
    """(r, Q), continuous review: whenever the position is at or below r, order Q, repeatedly,
    until the position is above r."""

    reorder_point: int
    order_quantity: int
    type: ClassVar[str] = "rQ"

    def validate(self) -> None:
        if self.reorder_point < 0:
            raise InvalidPolicy("reorder_point", "must be >= 0")
        if self.order_quantity < 1:
            raise InvalidPolicy("order_quantity", "must be >= 1")

    def on_position_change(self, position: int) -> list[int]:
        if position > self.reorder_point:
            return []
        count = (self.reorder_point - position) // self.order_quantity + 1
        return [self.order_quantity] * count


@dataclass(frozen=True)
class MinMaxPolicy(Policy):
    """(s, S), continuous review: at or below s (``reorder_point``), order up to S
    (``order_up_to``) in one purchase order."""

    reorder_point: int
    order_up_to: int
    type: ClassVar[str] = "sS"

    def validate(self) -> None:
        if self.reorder_point < 0:
            raise InvalidPolicy("reorder_point", "must be >= 0")
        if self.order_up_to <= self.reorder_point:
            raise InvalidPolicy("order_up_to", "must be greater than reorder_point (S > s)")

    def on_position_change(self, position: int) -> list[int]:
        if position > self.reorder_point:
            return []
        return [self.order_up_to - position]


@dataclass(frozen=True)
class PeriodicReviewPolicy(Policy):
    """(R, S), periodic review: every R minutes, order up to S when the position is below S."""

    review_period_minutes: int
    order_up_to: int
    type: ClassVar[str] = "RS"

    def validate(self) -> None:
        if self.review_period_minutes < 1:
            raise InvalidPolicy("review_period_minutes", "must be >= 1")
        if self.order_up_to < 1:
            raise InvalidPolicy("order_up_to", "must be >= 1")

    @property
    def review_period_minutes_or_none(self) -> int | None:
        return self.review_period_minutes

    def on_review(self, position: int) -> list[int]:
        return [self.order_up_to - position] if position < self.order_up_to else []


POLICIES: dict[str, type[Policy]] = {
    cls.type: cls for cls in (NoPolicy, ReorderPointPolicy, MinMaxPolicy, PeriodicReviewPolicy)
}


@cache
def parameters_of(cls: type[Policy]) -> tuple[str, ...]:
    """The parameters a policy class takes (its fields), worked out once per class."""
    return tuple(f.name for f in fields(cls))


def make_policy(type: str, **parameters: int | None) -> Policy:
    """Build and validate a policy from the contract's flat parameters.

    Parameters a policy does not use must be absent (None): a stray ``order_up_to`` on an rQ
    policy is more likely a mistake than something to ignore silently.
    """
    cls = POLICIES.get(type)
    if cls is None:
        known = ", ".join(POLICIES)
        raise InvalidPolicy("type", f"unknown policy type {type!r}; expected one of {known}")
    used = parameters_of(cls)
    for name, value in parameters.items():
        if name not in PARAMETERS:
            raise InvalidPolicy(name, "is not a policy parameter")
        if value is not None and name not in used:
            raise InvalidPolicy(name, f"is not used by {type} policies; leave it out")
    for name in used:
        if parameters.get(name) is None:
            raise InvalidPolicy(name, f"is required for {type} policies")
    policy = cls(**{name: parameters[name] for name in used})
    policy.validate()
    return policy
