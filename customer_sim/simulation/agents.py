"""Customer agents: who walks in (budget, wish list, pace) and what they decide to buy.

Each attribute is drawn from its own stream (see `random_streams`), at arrival, in a fixed
number of draws per customer where possible, so that the customers of two runs with one seed
are the same people whatever the stock they meet.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from random import Random
from typing import Mapping, Sequence

from customer_sim.domain.customer import BasketLine, Customer, Offer, VisitTiming, WishItem
from customer_sim.domain.product import ProductSpec
from customer_sim.domain.scenario import CustomerSpec
from customer_sim.simulation import random_streams as streams
from customer_sim.simulation.random_streams import RandomStreams

CENT = Decimal("0.01")


class CustomerFactory:
    """Draws customers for a scenario's customer profile and product range."""

    def __init__(
        self, profile: CustomerSpec, products: Sequence[ProductSpec], random: RandomStreams
    ) -> None:
        self.profile = profile
        self.skus = [product.sku for product in products]
        self.weights = [product.weight for product in products]
        self.random = random

    def arrive(self, customer_id: int, at: float) -> Customer:
        return Customer(
            id=customer_id,
            arrived_at=at,
            budget=self._budget(self.random[streams.BUDGETS]),
            wish_list=self._wish_list(),
            timing=self._timing(self.random[streams.TIMING]),
        )

    def _budget(self, rng: Random) -> Decimal | None:
        if self.profile.budget is None:
            return None
        amount = max(self.profile.budget.sample(rng), 0.0)
        return Decimal(repr(amount)).quantize(CENT, rounding=ROUND_HALF_EVEN)

    def _wish_list(self) -> list[WishItem]:
        size = self.profile.wish_list.size.sample_int(self.random[streams.WISH_LIST_SIZES])
        size = min(max(size, 0), len(self.skus))
        chosen = weighted_sample(
            self.skus, self.weights, size, self.random[streams.WISH_LIST_PRODUCTS]
        )
        quantities = self.random[streams.WISH_LIST_QUANTITIES]
        return [
            WishItem(sku, max(1, self.profile.wish_list.quantity.sample_int(quantities)))
            for sku in chosen
        ]

    def _timing(self, rng: Random) -> VisitTiming:
        step = self.profile.step_minutes
        browse, pick, queue, exit_ = (max(step.sample(rng), 0.0) for _ in range(4))
        return VisitTiming(browse=browse, pick=pick, queue=queue, exit=exit_)


def weighted_sample(
    items: Sequence[str], weights: Sequence[float], k: int, rng: Random
) -> list[str]:
    """``k`` distinct items, drawn one by one with probability proportional to their weight
    among those not drawn yet; the order of the draws is the order of preference."""
    pool = list(zip(items, weights))
    chosen: list[str] = []
    for _ in range(min(k, len(pool))):
        target = rng.random() * sum(weight for _, weight in pool)
        index = 0
        while index < len(pool) - 1 and target >= pool[index][1]:
            target -= pool[index][1]
            index += 1
        chosen.append(pool.pop(index)[0])
    return chosen


def choose_basket(
    wish_list: Sequence[WishItem], offers: Mapping[str, Offer], budget: Decimal | None
) -> list[BasketLine]:
    """What a customer puts in the cart: their wish list met with what is on the shelf.

    Items are taken most wanted first; each is capped at what is available and at what the
    remaining budget affords (a customer who cannot afford the first item may still buy a
    cheaper second one). Items not offered or not available are skipped.
    """
    remaining = budget
    basket: list[BasketLine] = []
    for wish in wish_list:
        offer = offers.get(wish.sku)
        if offer is None or offer.available <= 0:
            continue
        quantity = min(wish.quantity, offer.available)
        if remaining is not None and offer.price > 0:
            quantity = min(quantity, int(remaining // offer.price))
        if quantity <= 0:
            continue
        basket.append(BasketLine(wish.sku, quantity, offer.price))
        if remaining is not None:
            remaining -= offer.price * quantity
    return basket
