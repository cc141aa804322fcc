"""Product quizzes: staff write them; applicants take them without ever seeing the answers."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from marketplace import services
from marketplace.models import ExpertSkill, Quiz, QuizAttempt

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"text": "Drop?", "choices": [{"text": "4 mm"}, {"text": "8 mm", "is_correct": True}]},
    {"text": "Lugs?", "choices": [{"text": "Replace", "is_correct": True}, {"text": "Glue"}]},
]


def apply(cast: Any, user: Any, product: Any = None, level: int = 3) -> Any:
    return services.application_submit(
        brand=cast.acme,
        user=user,
        items=[((product or cast.trail_shoe).pk, level)],
        languages=["en"],
        motivation="I use it daily.",
        accept_terms=True,
    )


def shoe_quiz(cast: Any, **overrides: Any) -> Quiz:
    kwargs = {
        "brand": cast.acme,
        "title": "Shoe basics",
        "product_id": cast.trail_shoe.pk,
        "level": 4,
        "pass_mark": 100,
        "questions": QUESTIONS,
        "actor": cast.sam,
    }
    kwargs.update(overrides)
    return services.quiz_create(**kwargs)


def answers(quiz: Quiz, *, correct: bool) -> dict[str, int]:
    return {
        str(question.pk): question.choices.get(is_correct=correct).pk
        for question in quiz.questions.all()
    }


def test_staff_write_a_quiz_through_the_api(cast: Any, api_as: Any) -> None:
    response = api_as(cast.maya).post(
        "/api/v1/brands/acme/quizzes",
        {
            "title": "Shoe basics",
            "product_id": cast.trail_shoe.pk,
            "pass_mark": 50,
            "cooldown_hours": 12,
            "questions": QUESTIONS,
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["subject"] == "Trailblazer 2 Trail Shoe"
    # staff see the answer key
    assert [c["is_correct"] for c in body["questions"][0]["choices"]] == [False, True]
    quiz = Quiz.objects.get(pk=body["id"])
    assert (quiz.pass_mark, quiz.cooldown_hours, quiz.questions.count()) == (50, 12, 2)


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ([{"text": "Q", "choices": [{"text": "a"}, {"text": "b"}]}], "exactly one correct"),
        ([{"text": "Q", "choices": [{"text": "a", "is_correct": True}]}], "at least two"),
    ],
)
def test_a_question_needs_two_choices_and_exactly_one_right_answer(
    cast: Any, api_as: Any, questions: list[Any], message: str
) -> None:
    response = api_as(cast.sam).post(
        "/api/v1/brands/acme/quizzes",
        {"title": "Bad", "product_id": cast.trail_shoe.pk, "questions": questions},
        format="json",
    )
    assert response.status_code == 400
    assert message in json.dumps(response.json()["error"]["fields"])
    assert not Quiz.objects.exists()


def test_a_quiz_is_about_a_product_or_a_category_of_the_same_brand(cast: Any, api_as: Any) -> None:
    client = api_as(cast.sam)
    both = client.post(
        "/api/v1/brands/acme/quizzes",
        {
            "title": "X",
            "product_id": cast.trail_shoe.pk,
            "category_id": cast.trail_shoe.category_id,
            "questions": QUESTIONS,
        },
        format="json",
    )
    foreign = client.post(
        "/api/v1/brands/acme/quizzes",
        {"title": "X", "product_id": cast.northwind_product.pk, "questions": QUESTIONS},
        format="json",
    )
    assert both.status_code == 400
    assert "product_id" in both.json()["error"]["fields"]
    assert foreign.status_code == 400
    assert foreign.json()["error"]["fields"] == {"product_id": ["No such product."]}
    assert not Quiz.objects.exists()


def test_correct_answers_never_reach_an_applicant(cast: Any, api_as: Any, client: Any) -> None:
    # given
    quiz = shoe_quiz(cast)
    apply(cast, cast.carol)
    api = api_as(cast.carol)

    # when
    listing = api.get("/api/v1/brands/acme/quizzes")
    detail = api.get(f"/api/v1/brands/acme/quizzes/{quiz.pk}")
    client.force_login(cast.carol)
    page = client.get(f"/brands/acme/quizzes/{quiz.pk}/").content.decode()
    attempt = api.post(
        f"/api/v1/brands/acme/quizzes/{quiz.pk}/attempts",
        {"answers": answers(quiz, correct=False)},
        format="json",
    )
    after = client.get(f"/brands/acme/quizzes/{quiz.pk}/").content.decode()

    # then: the questions and choices, and nothing that tells which one is right
    assert listing.status_code == 200
    assert detail.status_code == 200
    assert [q["text"] for q in detail.json()["questions"]] == ["Drop?", "Lugs?"]
    for body in (listing.content, detail.content, attempt.content):
        assert b"is_correct" not in body
        assert b"correct_choice" not in body
    assert set(detail.json()["questions"][0]["choices"][0]) == {"id", "text"}
    assert set(attempt.json()) == {
        "id",
        "quiz_id",
        "person",
        "score",
        "passed",
        "created_at",
        "next_attempt_at",
    }
    assert "8 mm" in page
    assert "is_correct" not in page
    assert "correct" not in page.lower().replace("correctly", "")
    assert "You can try again after" in after  # the cool-down, and still no answers
    assert "8 mm" not in after


def test_passing_verifies_the_skill_at_the_quizzed_level(cast: Any, api_as: Any) -> None:
    quiz = shoe_quiz(cast)
    apply(cast, cast.carol, level=2)

    response = api_as(cast.carol).post(
        f"/api/v1/brands/acme/quizzes/{quiz.pk}/attempts",
        {"answers": answers(quiz, correct=True)},
        format="json",
    )

    assert response.status_code == 201
    assert (response.json()["score"], response.json()["passed"]) == (100, True)
    skill = ExpertSkill.objects.get(expert__user=cast.carol, product=cast.trail_shoe)
    assert (skill.level, skill.verified_level) == (2, 4)
    assert skill.verified_at is not None


def test_failing_records_the_attempt_but_verifies_nothing(cast: Any, api_as: Any) -> None:
    quiz = shoe_quiz(cast)
    apply(cast, cast.carol)

    response = api_as(cast.carol).post(
        f"/api/v1/brands/acme/quizzes/{quiz.pk}/attempts",
        {"answers": answers(quiz, correct=False)},
        format="json",
    )

    assert response.status_code == 201
    assert (response.json()["score"], response.json()["passed"]) == (0, False)
    assert QuizAttempt.objects.get().score == 0
    assert ExpertSkill.objects.get(expert__user=cast.carol).verified_at is None


def test_the_quiz_can_be_taken_again_after_the_cool_down(cast: Any, api_as: Any) -> None:
    quiz = shoe_quiz(cast, cooldown_hours=2)
    apply(cast, cast.carol)
    client = api_as(cast.carol)
    url = f"/api/v1/brands/acme/quizzes/{quiz.pk}/attempts"
    client.post(url, {"answers": answers(quiz, correct=False)}, format="json")
    QuizAttempt.objects.update(created_at=timezone.now() - timedelta(hours=2, minutes=1))

    response = client.post(url, {"answers": answers(quiz, correct=True)}, format="json")

    assert response.status_code == 201
    assert response.json()["passed"] is True
    assert QuizAttempt.objects.count() == 2


def test_unanswered_or_foreign_choices_are_field_errors(cast: Any, api_as: Any) -> None:
    quiz = shoe_quiz(cast)
    other = shoe_quiz(cast, title="Other")
    apply(cast, cast.carol)
    first, second = quiz.questions.all()
    foreign_choice = other.questions.first().choices.first()

    response = api_as(cast.carol).post(
        f"/api/v1/brands/acme/quizzes/{quiz.pk}/attempts",
        {"answers": {str(first.pk): foreign_choice.pk}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        f"answers.{first.pk}": ["Not a choice of this question."],
        f"answers.{second.pk}": ["Answer this question."],
    }
    assert not QuizAttempt.objects.exists()


def test_people_outside_the_pool_do_not_see_quizzes(cast: Any, api_as: Any) -> None:
    quiz = shoe_quiz(cast)
    client = api_as(cast.carol)  # never applied

    assert client.get("/api/v1/brands/acme/quizzes").json()["results"] == []
    assert client.get(f"/api/v1/brands/acme/quizzes/{quiz.pk}").status_code == 404
    response = client.post(
        f"/api/v1/brands/acme/quizzes/{quiz.pk}/attempts",
        {"answers": answers(quiz, correct=True)},
        format="json",
    )
    assert response.status_code == 404
    assert not QuizAttempt.objects.exists()


def test_a_suspended_expert_cannot_take_quizzes(cast: Any, api_as: Any) -> None:
    quiz = shoe_quiz(cast)
    services.expert_suspend(expert=cast.ada_expert, actor=cast.sam, reason="Rude replies.")

    response = api_as(cast.ada).post(
        f"/api/v1/brands/acme/quizzes/{quiz.pk}/attempts",
        {"answers": answers(quiz, correct=True)},
        format="json",
    )

    assert response.status_code == 403
    assert "suspended" in response.json()["error"]["message"]
    assert not QuizAttempt.objects.exists()


def test_a_closed_quiz_cannot_be_taken(cast: Any, api_as: Any) -> None:
    quiz = shoe_quiz(cast)
    apply(cast, cast.carol)
    closed = api_as(cast.maya).patch(
        f"/api/v1/brands/acme/quizzes/{quiz.pk}", {"is_active": False}, format="json"
    )
    assert closed.status_code == 200

    response = api_as(cast.carol).post(
        f"/api/v1/brands/acme/quizzes/{quiz.pk}/attempts",
        {"answers": answers(quiz, correct=True)},
        format="json",
    )
    assert response.status_code == 404


def test_a_category_quiz_verifies_the_persons_skills_in_that_category(cast: Any) -> None:
    # given: Grace knows the tent (Tents) but not the shoe (Footwear)
    tents = cast.acme.categories.get(name="Tents")
    quiz = shoe_quiz(cast, product_id=None, category_id=tents.pk, title="Tents 101", level=3)
    attempt = services.quiz_attempt_submit(
        quiz=quiz,
        user=cast.grace,
        answers={int(k): v for k, v in answers(quiz, correct=True).items()},
    )
    assert attempt.passed
    skills = {
        s.product.name: s.verified_level
        for s in ExpertSkill.objects.filter(expert__user=cast.grace)
    }
    assert skills == {"Ridgeline 2P Tent": 3}


def test_staff_pages_list_quizzes_and_show_the_answer_key(cast: Any, client: Any) -> None:
    quiz = shoe_quiz(cast)
    client.force_login(cast.quinn)
    listing = client.get("/brands/acme/manage/quizzes/").content.decode()
    key = client.get(f"/brands/acme/manage/quizzes/{quiz.pk}/").content.decode()
    assert "Shoe basics" in listing
    assert "New quiz" not in listing  # QA reads only
    assert 'class="correct"' in key


def test_staff_write_a_quiz_on_the_page_in_the_text_format(cast: Any, client: Any) -> None:
    client.force_login(cast.maya)
    response = client.post(
        "/brands/acme/manage/quizzes/",
        {
            "title": "Shoe care",
            "subject": f"p:{cast.trail_shoe.pk}",
            "level": 3,
            "pass_mark": 80,
            "cooldown_hours": 24,
            "questions": "Wash with?\n- Bleach\n* Cold water\n\nDry near a fire?\n- Yes\n* No\n",
        },
    )
    assert response.status_code == 302
    quiz = Quiz.objects.get(title="Shoe care")
    assert [q.text for q in quiz.questions.all()] == ["Wash with?", "Dry near a fire?"]
    assert quiz.questions.first().choices.get(is_correct=True).text == "Cold water"

    bad = client.post(
        "/brands/acme/manage/quizzes/",
        {
            "title": "Broken",
            "subject": f"p:{cast.trail_shoe.pk}",
            "level": 3,
            "pass_mark": 80,
            "cooldown_hours": 24,
            "questions": "Wash with?\n- Bleach\n- Cold water\n",
        },
    )
    assert bad.status_code == 400
    assert "needs exactly one correct choice" in bad.content.decode()
    assert not Quiz.objects.filter(title="Broken").exists()
