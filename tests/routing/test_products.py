"""Guessing the product a question is about when the customer did not pick one."""

from __future__ import annotations

import pytest

from routing.text import guess_product
from routing.text.products import MIN_SIMILARITY

CATALOGUE = [
    (1, "Trailblazer 2 Trail Shoe", "TB2"),
    (2, "Ridgeline 2P Tent", ""),
    (3, "Basecamp 4P Tent", "BC4, family tent"),
    (4, "Summit Down Jacket", "SDJ-1"),
    (5, "Trailblazer 2 GTX Trail Shoe", "TB2-GTX"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My TB2 sole came off after a week", 1),
        ("my tb2-gtx is wet inside", 5),  # the longer SKU wins over the one inside it
        ("Is the family tent waterproof?", 3),
        ("The Ridgeline tent leaks at the seams", 2),
        ("the ridgline leaks", 2),  # a typo
        ("Is the down jacket warm enough for -10?", 4),
        ("Passt das Ridgeline Zelt für zwei?", 2),
    ],
)
def test_the_named_product_is_found(text: str, expected: int) -> None:
    # when
    product_id, confidence = guess_product(text, CATALOGUE)

    # then
    assert product_id == expected
    assert confidence >= MIN_SIMILARITY


def test_an_sku_is_more_certain_than_a_fuzzy_name() -> None:
    _, by_sku = guess_product("My TB2 sole came off", CATALOGUE)
    _, by_typo = guess_product("the ridgline leaks", CATALOGUE)
    assert by_sku > by_typo


@pytest.mark.parametrize(
    "text", ["Where is my order?", "I have a tent question", "Hello", "", "12345"]
)
def test_no_product_when_nothing_specific_is_named(text: str) -> None:
    product_id, confidence = guess_product(text, CATALOGUE)
    assert product_id is None
    assert confidence < MIN_SIMILARITY


def test_ambiguous_names_come_back_with_lowered_confidence() -> None:
    # given two shoes that share most of their name
    _, clear = guess_product("The Ridgeline tent leaks", CATALOGUE)

    # when
    _, ambiguous = guess_product("Does the Trailblazer shoe fit wide feet?", CATALOGUE)

    # then
    assert ambiguous < clear
    assert ambiguous < MIN_SIMILARITY


def test_empty_catalogue() -> None:
    assert guess_product("My TB2 broke", []) == (None, 0.0)
