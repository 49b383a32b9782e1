"""Products as a scenario describes them: catalog data, demand weight, stock and policy.

The replenishment policy is validated here, with the inventory's own rules, so that a scenario
with a wrong policy stops before a store is opened rather than half-way through seeding it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SerializeAsAny, model_validator

from customer_sim.domain.tagged import TaggedRegistry, field_error
from servicekit.ids import ID_PATTERN

MAX_UNITS = 1_000_000_000

POLICIES: TaggedRegistry[PolicySpec] = TaggedRegistry("type", "policy")


class PolicySpec(BaseModel):
    """A replenishment policy in the inventory API's shape (``PUT .../items/{sku}``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str

    def reference_levels(self) -> list[tuple[str, int]]:
        """The policy's levels as (name, units), for plots: where orders are triggered and
        what they bring the inventory position up to."""
        return []

    def to_api(self) -> dict[str, Any]:
        return self.model_dump()


PolicyField = Annotated[SerializeAsAny[PolicySpec], BeforeValidator(POLICIES.parse)]


@POLICIES.register("none")
class NoPolicy(PolicySpec):
    """Never orders: what is on the shelf at the start is all there will be."""


@POLICIES.register("rQ")
class ReorderPointPolicy(PolicySpec):
    """Continuous review: at or below ``reorder_point``, order ``order_quantity`` (repeatedly,
    until the inventory position is above it). With ``order_quantity: 1`` it is base stock."""

    reorder_point: int = Field(ge=0, le=MAX_UNITS)
    order_quantity: int = Field(ge=1, le=MAX_UNITS)

    def reference_levels(self) -> list[tuple[str, int]]:
        # r + Q: the highest the inventory position gets (an order lifts it from <= r)
        return [("r", self.reorder_point), ("r + Q", self.reorder_point + self.order_quantity)]


@POLICIES.register("sS")
class MinMaxPolicy(PolicySpec):
    """Continuous review: at or below s (``reorder_point``), order up to S (``order_up_to``)."""

    reorder_point: int = Field(ge=0, le=MAX_UNITS)
    order_up_to: int = Field(ge=1, le=MAX_UNITS)

    @model_validator(mode="after")
    def _s_below_big_s(self) -> MinMaxPolicy:
        if self.order_up_to <= self.reorder_point:
            message = f"must be greater than reorder_point ({self.reorder_point}): S > s"
            raise field_error("sS", "order_up_to", message, self.order_up_to)
        return self

    def reference_levels(self) -> list[tuple[str, int]]:
        return [("s", self.reorder_point), ("S", self.order_up_to)]


@POLICIES.register("RS")
class PeriodicReviewPolicy(PolicySpec):
    """Periodic review: every ``review_period_minutes``, order up to ``order_up_to``."""

    review_period_minutes: int = Field(ge=1, le=10 * 525_600)
    order_up_to: int = Field(ge=1, le=MAX_UNITS)

    def reference_levels(self) -> list[tuple[str, int]]:
        return [("S", self.order_up_to)]


class ProductSpec(BaseModel):
    """One product of the scenario's range."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(pattern=ID_PATTERN)
    name: str = Field("", max_length=200, description="Defaults to the SKU.")
    category: str = Field("general", min_length=1, max_length=100)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    weight: float = Field(1.0, gt=0, description="Relative popularity on wish lists.")
    initial_stock: int = Field(ge=0, le=MAX_UNITS)
    lead_time_minutes: int = Field(0, ge=0, le=10 * 525_600)
    policy: PolicyField = Field(default_factory=lambda: NoPolicy(type="none"))
    unit_cost: Decimal | None = Field(
        None,
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="What a unit costs the store (values stock and its holding). Default: price.",
    )
    lost_sale_penalty: Decimal | None = Field(
        None,
        ge=0,
        max_digits=12,
        decimal_places=2,
        description="Cost of one unit not sold for want of stock. Default: the price.",
    )

    @property
    def display_name(self) -> str:
        return self.name or self.sku

    @property
    def cost(self) -> Decimal:
        """The unit cost, or the price when the scenario gives none (stock valued at retail)."""
        return self.price if self.unit_cost is None else self.unit_cost

    @property
    def penalty(self) -> Decimal:
        """The cost of a lost unit, or the price (the revenue it would have brought)."""
        return self.price if self.lost_sale_penalty is None else self.lost_sale_penalty
