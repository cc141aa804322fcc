"""The expert's history page: the conversations she handled and her last 14 days.

The fixture is computed by hand. Ada works in Berlin (UTC+1 in December); the page is read on
Thursday 10 December 2026 at 13:00 Berlin time. The trail shoe pays 6.00 EUR, 15 % fee, so
5.10 EUR net, plus a 1.00 EUR bonus for a five-star rating.

=========  ======================  =========================================
day        what happened           expected row
=========  ======================  =========================================
10 Dec     Q3 resolved 00:30       1 resolved, 5.10 EUR, no rating
           (23:30 UTC on the 9th)
9 Dec      Q1 resolved, rated 5    2 resolved, 5.10 + 1.00 + 5.10 = 11.20 EUR,
           Q2 resolved, rated 3    mean rating (5 + 3) / 2 = 4.00 from 2
8 Dec      Q4 handed back          nothing (a release earns and counts nothing)
20 Nov     Q5 resolved             outside the 14 days
=========  ======================  =========================================

Grace resolves a tent question on the 9th too: none of it may reach Ada's page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from marketplace import services as marketplace
from quality import services as quality
from routing import services
from routing.models import Assignment, Question
from routing.views_history import HISTORY_PAGE_ROWS, expert_daily_summary

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def through_routing(
    cast: Any, ask: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> Any:
    """``through_routing(user, when, end="resolve", product=..., rating=None)``."""

    def run(
        user: Any,
        when: datetime,
        *,
        end: str = "resolve",
        product: Any = "default",
        rating: tuple[int, str] | None = None,
        body: str = "Do the Trailblazer 2 run narrow?",
    ) -> Question:
        clock.at(when)
        for person in (cast.ada, cast.grace):
            services.presence_set(user=person, status="online" if person == user else "offline")
        question = ask(body, product=product)
        offers = services.routing_offer_question(question_id=question.pk)
        assert [o.expert.user for o in offers] == [user]
        services.assignment_accept(assignment_id=offers[0].pk, user=user)
        with django_capture_on_commit_callbacks(execute=True):
            if end == "resolve":
                services.question_resolve(question_id=question.pk, actor=user)
            else:
                services.assignment_release(question_id=question.pk, user=user)
        if rating is not None:
            clock.at(when + timedelta(minutes=5))
            question.refresh_from_db()
            with django_capture_on_commit_callbacks(execute=True):
                quality.rating_create(
                    question=question,
                    score=rating[0],
                    solved=True,
                    comment=rating[1],
                    actor=cast.carol,
                )
        return question

    return run


@pytest.fixture
def fortnight(
    cast: Any, rate_card: Any, through_routing: Any, grace_knows_the_shoe: None, clock: Any
) -> dict[str, Question]:
    marketplace.expert_profile_update(user=cast.ada, timezone="Europe/Berlin")
    tent = cast.acme.products.get(name="Ridgeline 2P Tent")
    made = {
        "q5": through_routing(cast.ada, at(20, 10, month=11), body="Old one about laces?"),
        "q4": through_routing(cast.ada, at(8, 9), end="release", body="Handed back one?"),
        "q1": through_routing(cast.ada, at(9, 10), rating=(5, "Great help, thanks")),
        "q2": through_routing(cast.ada, at(9, 22, 30), rating=(3, "It was fine")),
        "q3": through_routing(cast.ada, at(9, 23, 30), body="Late one about insoles?"),
        "grace": through_routing(
            cast.grace, at(9, 12), product=tent, rating=(1, "Grace's secret review")
        ),
    }
    clock.at(NOW)
    return made


def test_the_summary_matches_the_hand_computed_fortnight(
    cast: Any, fortnight: dict[str, Question]
) -> None:
    rows = expert_daily_summary(user=cast.ada, now=NOW)
    assert len(rows) == 14
    assert rows[0].day == date(2026, 12, 10)
    assert rows[-1].day == date(2026, 11, 27)
    by_day = {row.day: row for row in rows}
    ten, nine, eight = (
        by_day[date(2026, 12, 10)],
        by_day[date(2026, 12, 9)],
        by_day[date(2026, 12, 8)],
    )
    assert (ten.resolved, ten.earnings, ten.ratings, ten.mean_rating) == (1, ["5.10 EUR"], 0, None)
    assert (nine.resolved, nine.earnings, nine.ratings, str(nine.mean_rating)) == (
        2,
        ["11.20 EUR"],
        2,
        "4.00",
    )
    assert (eight.resolved, eight.earnings, eight.ratings) == (0, [], 0)
    assert sum(row.resolved for row in rows) == 3  # the November question is outside


def test_grace_sees_only_her_own_day(cast: Any, fortnight: dict[str, Question]) -> None:
    rows = {row.day: row for row in expert_daily_summary(user=cast.grace, now=NOW)}
    nine = rows[date(2026, 12, 9)]
    # the tent pays the default 4.00 EUR: 3.40 net; a one-star rating holds it but it counts
    assert (nine.resolved, nine.ratings, str(nine.mean_rating)) == (1, 1, "1.00")
    assert nine.earnings == ["3.40 EUR"]
    assert sum(row.resolved for row in rows.values()) == 1


def test_the_history_page_lists_her_conversations_with_ratings_and_links(
    cast: Any, client: Any, fortnight: dict[str, Question]
) -> None:
    client.force_login(cast.ada)
    response = client.get("/expert/history/")
    assert response.status_code == 200
    page = response.content.decode()
    for key in ("q1", "q2", "q3", "q5"):
        assert f'href="/questions/{fortnight[key].pk}/"' in page
    # the handed-back question is listed, without a link she could not follow
    assert f'href="/questions/{fortnight["q4"].pk}/"' not in page
    assert "Handed back" in page
    assert "Great help, thanks" in page
    assert 'aria-label="5 out of 5"' in page
    assert "11.20 EUR" in page
    assert "4.00" in page
    # never Grace's
    assert "Grace&#x27;s secret review" not in page
    assert "Grace's secret review" not in page
    assert f"#{fortnight['grace'].pk} " not in page
    # and the linked conversation opens for her, read-only
    conversation = client.get(f"/questions/{fortnight['q1'].pk}/")
    assert conversation.status_code == 200
    assert client.get(f"/questions/{fortnight['grace'].pk}/").status_code == 404


def test_the_history_page_needs_a_sign_in(client: Any, cast: Any) -> None:
    response = client.get("/expert/history/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_customer_without_history_sees_an_empty_page(cast: Any, client: Any) -> None:
    client.force_login(cast.carol)
    page = client.get("/expert/history/").content.decode()
    assert "No finished conversations yet." in page


def test_the_history_pages_and_keeps_a_bounded_query_count(
    cast: Any,
    client: Any,
    through_routing: Any,
    rate_card: Any,
    clock: Any,
    django_assert_num_queries: Any,
) -> None:
    # given: more finished conversations than one page holds
    start = at(1, 9)
    for i in range(HISTORY_PAGE_ROWS + 2):
        through_routing(
            cast.ada, start + timedelta(hours=i), rating=(4, f"note {i}"), body=f"Q number {i}?"
        )
    clock.at(NOW)
    client.force_login(cast.ada)
    # when / then (the session from the cache): user, nav, her zone, three day aggregates,
    # count and page, the same for 22 rows or 2 (ratings are a subquery, not a query per row)
    with django_assert_num_queries(9):
        first = client.get("/expert/history/")
    assert first.status_code == 200
    assert first.content.decode().count("data-assignment=") == HISTORY_PAGE_ROWS
    assert "Page 1 of 2" in first.content.decode()
    with django_assert_num_queries(9):
        second = client.get("/expert/history/?page=2")
    assert second.content.decode().count("data-assignment=") == 2
    assert (
        Assignment.objects.filter(expert__user=cast.ada, status="resolved").count()
        == HISTORY_PAGE_ROWS + 2
    )
