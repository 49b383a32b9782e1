from collections import Counter
from decimal import Decimal
from random import Random

import pytest

from customer_sim.domain.customer import BasketLine, Offer, WishItem
from customer_sim.domain.scenario import CustomerSpec
from customer_sim.simulation.agents import CustomerFactory, choose_basket, weighted_sample
from customer_sim.simulation.random_streams import RandomStreams
from customer_sim.tests.builders import make_scenario

D = Decimal


def offers(**skus: tuple[str, int]) -> dict[str, Offer]:
    return {sku: Offer(D(price), available) for sku, (price, available) in skus.items()}


def test_most_wanted_first_within_budget():
    wish = [WishItem("coffee", 1), WishItem("milk", 2), WishItem("cake", 1)]
    shelf = offers(coffee=("8.00", 10), milk=("1.50", 10), cake=("4.00", 10))
    basket = choose_basket(wish, shelf, budget=D("12.00"))
    # coffee (8.00) then 2 milk (3.00) = 11.00; the cake no longer fits
    assert basket == [BasketLine("coffee", 1, D("8.00")), BasketLine("milk", 2, D("1.50"))]


def test_an_unaffordable_item_is_skipped_for_a_cheaper_one():
    wish = [WishItem("wine", 1), WishItem("bread", 1)]
    basket = choose_basket(wish, offers(wine=("20", 5), bread=("2", 5)), budget=D("5"))
    assert basket == [BasketLine("bread", 1, D("2"))]


def test_the_budget_limits_the_quantity():
    basket = choose_basket([WishItem("egg", 6)], offers(egg=("0.30", 20)), budget=D("1.00"))
    assert basket == [BasketLine("egg", 3, D("0.30"))]


def test_quantities_are_capped_at_what_is_available_and_missing_items_skipped():
    wish = [WishItem("a", 5), WishItem("b", 1), WishItem("c", 2), WishItem("unknown", 1)]
    basket = choose_basket(wish, offers(a=("1", 3), b=("1", 0), c=("1", 7)), budget=None)
    assert basket == [BasketLine("a", 3, D("1")), BasketLine("c", 2, D("1"))]


def test_nothing_available_or_affordable_means_an_empty_basket():
    assert choose_basket([WishItem("a", 1)], offers(a=("1", 0)), budget=None) == []
    assert choose_basket([WishItem("a", 1)], offers(a=("9", 4)), budget=D("5")) == []


def test_free_items_fit_any_budget():
    basket = choose_basket([WishItem("sample", 2)], offers(sample=("0", 5)), budget=D("0"))
    assert basket == [BasketLine("sample", 2, D("0"))]


def test_weighted_sample_draws_distinct_items_by_weight():
    rng = Random(3)
    firsts = Counter()
    for _ in range(20_000):
        chosen = weighted_sample(["a", "b", "c"], [6, 3, 1], 2, rng)
        assert len(set(chosen)) == 2
        firsts[chosen[0]] += 1
    shares = [firsts[item] / 20_000 for item in "abc"]
    assert shares == pytest.approx([0.6, 0.3, 0.1], abs=0.015)
    assert weighted_sample(["a", "b"], [1, 1], 5, rng) in (["a", "b"], ["b", "a"])


def factory(profile: dict | None = None, seed: int = 5) -> CustomerFactory:
    scenario = make_scenario()
    spec = CustomerSpec.model_validate(profile) if profile else scenario.customers
    return CustomerFactory(spec, scenario.products, RandomStreams(seed))


def test_customers_get_a_budget_a_wish_list_and_visit_timing():
    customers = [factory().arrive(i, float(i)) for i in range(500)]
    for customer in customers:
        assert customer.budget is not None and customer.budget >= 0
        assert customer.budget == customer.budget.quantize(D("0.01"))
        assert 1 <= len(customer.wish_list) <= 3
        assert len({wish.sku for wish in customer.wish_list}) == len(customer.wish_list)
        assert all(wish.quantity in (1, 2) for wish in customer.wish_list)
        assert all(1 <= step <= 3 for step in vars(customer.timing).values())


def test_wish_lists_never_exceed_the_range_and_no_budget_means_none():
    profile = {"wish_list": {"size": {"dist": "constant", "value": 10}}}
    customer = factory(profile).arrive(0, 0.0)
    assert customer.budget is None
    assert sorted(wish.sku for wish in customer.wish_list) == ["bread", "jam", "milk"]
    assert all(wish.quantity == 1 for wish in customer.wish_list)


def test_changing_the_budget_model_does_not_change_wish_lists_or_timing():
    base = {
        "wish_list": {"size": {"dist": "poisson", "mean": 2}},
        "step_minutes": {"dist": "uniform", "low": 0, "high": 9},
    }
    rich = {**base, "budget": {"dist": "lognormal", "median": 100, "sigma": 1}}
    plain = [factory(base).arrive(i, 0.0) for i in range(200)]
    budgeted = [factory(rich).arrive(i, 0.0) for i in range(200)]
    assert [c.wish_list for c in plain] == [c.wish_list for c in budgeted]
    assert [c.timing for c in plain] == [c.timing for c in budgeted]
