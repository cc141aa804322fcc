"""Product quizzes: staff write them, applicants and experts take them, passing verifies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.exceptions import (
    ApplicationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    fields_message,
)
from gigcx.models import User
from marketplace.models import (
    Brand,
    Category,
    Expert,
    ExpertSkill,
    Product,
    Quiz,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
)
from marketplace.services.core import expert_skill_set

# Who may take a quiz: people on their way into the pool and people in it.
MAY_TAKE_QUIZZES = (
    Expert.Status.INVITED,
    Expert.Status.APPLIED,
    Expert.Status.APPROVED,
    Expert.Status.PROBATION,
)
MAX_QUESTIONS = 50


def _questions_validate(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not questions:
        raise ApplicationError(
            gettext("A quiz needs at least one question."),
            fields={"questions": [gettext("Add a question.")]},
        )
    if len(questions) > MAX_QUESTIONS:
        raise ApplicationError(
            gettext("Keep a quiz under %(MAX_QUESTIONS)s questions.")
            % {"MAX_QUESTIONS": MAX_QUESTIONS},
            fields={"questions": [gettext("Too many questions.")]},
        )
    errors: dict[str, list[str]] = {}
    cleaned = []
    for index, question in enumerate(questions, start=1):
        text = str(question.get("text", "")).strip()
        choices = [
            {"text": str(c.get("text", "")).strip(), "is_correct": bool(c.get("is_correct"))}
            for c in question.get("choices", [])
        ]
        problems = []
        if not text:
            problems.append("needs a text")
        if len(choices) < 2:
            problems.append("needs at least two choices")
        if any(not c["text"] for c in choices):
            problems.append("has an empty choice")
        if sum(c["is_correct"] for c in choices) != 1:
            problems.append("needs exactly one correct choice")
        if problems:
            errors[f"questions.{index}"] = [f"Question {index} {', '.join(problems)}."]
        cleaned.append({"text": text, "choices": choices})
    if errors:
        raise ApplicationError(
            gettext("Some questions are not complete; see the fields."), fields=errors
        )
    return cleaned


@transaction.atomic
def quiz_create(
    *,
    brand: Brand,
    title: str,
    questions: list[dict[str, Any]],
    actor: Any,
    product_id: int | None = None,
    category_id: int | None = None,
    level: int = 3,
    pass_mark: int = 80,
    cooldown_hours: int = 24,
) -> Quiz:
    """Create a quiz about one product or one category, with its questions and choices.

    Each question has exactly one correct choice.
    """
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [gettext("This field is required.")]
    if (product_id is None) == (category_id is None):
        errors["product_id"] = [gettext("Choose a product or a category (one of them).")]
    if not 1 <= level <= 5:
        errors["level"] = [gettext("1 to 5.")]
    if not 1 <= pass_mark <= 100:
        errors["pass_mark"] = [gettext("1 to 100 percent.")]
    if not 0 <= cooldown_hours <= 24 * 30:
        errors["cooldown_hours"] = [gettext("0 to 720 hours.")]
    if errors:
        raise ApplicationError(fields_message(errors), fields=errors)
    product = category = None
    if product_id is not None:
        product = Product.objects.filter(brand=brand, pk=product_id, is_archived=False).first()
        if product is None:
            raise ApplicationError(
                gettext("No such product in this brand."),
                fields={"product_id": [gettext("No such product.")]},
            )
    else:
        category = Category.objects.filter(brand=brand, pk=category_id, is_archived=False).first()
        if category is None:
            raise ApplicationError(
                gettext("No such category in this brand."),
                fields={"category_id": [gettext("No such category.")]},
            )
    cleaned = _questions_validate(questions)
    quiz = Quiz.objects.create(
        brand=brand,
        product=product,
        category=category,
        title=title,
        level=level,
        pass_mark=pass_mark,
        cooldown_hours=cooldown_hours,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for position, question in enumerate(cleaned):
        row = QuizQuestion.objects.create(quiz=quiz, text=question["text"], position=position)
        QuizChoice.objects.bulk_create(
            QuizChoice(question=row, text=c["text"], is_correct=c["is_correct"], position=i)
            for i, c in enumerate(question["choices"])
        )
    audit_record(
        actor=actor,
        action="quiz.created",
        target=quiz,
        brand_id=brand.pk,
        data={"questions": len(cleaned)},
    )
    return quiz


@transaction.atomic
def quiz_set_active(*, quiz: Quiz, is_active: bool, actor: Any) -> Quiz:
    if quiz.is_active != is_active:
        quiz.is_active = is_active
        quiz.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="quiz.activated" if is_active else "quiz.deactivated",
            target=quiz,
            brand_id=quiz.brand_id,
        )
    return quiz


def quiz_next_attempt_at(*, quiz: Quiz, user: User) -> datetime | None:
    """When ``user`` may try ``quiz`` again, or None if they may now."""
    last = QuizAttempt.objects.filter(quiz=quiz, user=user).order_by("-created_at").first()
    if last is None:
        return None
    ready = last.created_at + timedelta(hours=quiz.cooldown_hours)
    return ready if ready > timezone.now() else None


def _category_ids_below(category: Category) -> list[int]:
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = list(
            Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


def _skills_verified_by(*, quiz: Quiz, expert: Expert, actor: Any) -> list[ExpertSkill]:
    """Passing a product quiz verifies that product (adding the skill if the person had not
    listed it); a category quiz verifies the person's skills on the category's products."""
    if quiz.product_id is not None:
        skill = ExpertSkill.objects.filter(expert=expert, product_id=quiz.product_id).first()
        if skill is None:
            skill = expert_skill_set(
                expert=expert, product=quiz.product, level=quiz.level, actor=actor
            )
        skills = [skill]
    else:
        skills = list(
            ExpertSkill.objects.filter(
                expert=expert, product__category_id__in=_category_ids_below(quiz.category)
            )
        )
    verified = []
    for skill in skills:
        if skill.verified_level is not None and skill.verified_level >= quiz.level:
            continue  # already verified at this level or above: keep the better one
        skill.verified_level, skill.verified_at = quiz.level, timezone.now()
        skill.save(update_fields=["verified_level", "verified_at"])
        audit_record(
            actor=actor,
            action="skill.verified",
            target=skill,
            brand_id=expert.brand_id,
            data={"level": quiz.level, "quiz_id": quiz.pk},
        )
        verified.append(skill)
    return verified


@transaction.atomic
def quiz_attempt_submit(*, quiz: Quiz, user: User, answers: dict[int, int]) -> QuizAttempt:
    """Score one attempt; a pass verifies the skill at the quiz's level.

    Attempts by one person are serialised on their pool row, so two racing submissions
    cannot both slip through the cool-down.
    """
    quiz = Quiz.objects.select_related("brand", "product", "category").get(pk=quiz.pk)
    if not quiz.is_active or not quiz.brand.is_active:
        raise NotFoundError(gettext("No such quiz."))
    expert = Expert.objects.select_for_update().filter(brand=quiz.brand, user=user).first()
    if expert is None:
        raise NotFoundError(gettext("No such quiz."))
    if expert.status not in MAY_TAKE_QUIZZES:
        raise ForbiddenError(
            gettext(
                "Your place in the %(brand)s pool is %(value3)s; you cannot take its quizzes now."
            )
            % {"brand": quiz.brand.name, "value3": expert.get_status_display().lower()}
        )
    ready = quiz_next_attempt_at(quiz=quiz, user=user)
    if ready is not None:
        raise ConflictError(
            gettext("You can take this quiz again after %(ready)s UTC.")
            % {"ready": format(ready, "%Y-%m-%d %H:%M")},
            code="cooldown",
            fields={"retry_after": [ready.isoformat()]},
        )
    questions = list(quiz.questions.prefetch_related("choices"))
    errors: dict[str, list[str]] = {}
    correct = 0
    for question in questions:
        chosen = answers.get(question.pk)
        choices = {choice.pk: choice for choice in question.choices.all()}
        if chosen is None:
            errors[f"answers.{question.pk}"] = [gettext("Answer this question.")]
        elif chosen not in choices:
            errors[f"answers.{question.pk}"] = [gettext("Not a choice of this question.")]
        elif choices[chosen].is_correct:
            correct += 1
    extra = set(answers) - {question.pk for question in questions}
    if extra:
        errors["answers"] = [
            gettext("Not questions of this quiz: %(value1)s.")
            % {"value1": ", ".join(map(str, sorted(extra)))}
        ]
    if errors:
        raise ApplicationError(gettext("Answer every question of the quiz."), fields=errors)
    score = round(100 * correct / len(questions)) if questions else 0
    attempt = QuizAttempt.objects.create(
        quiz=quiz,
        user=user,
        expert=expert,
        score=score,
        passed=score >= quiz.pass_mark,
        answers={str(k): v for k, v in answers.items()},
    )
    audit_record(
        actor=user,
        action="quiz.passed" if attempt.passed else "quiz.failed",
        target=attempt,
        brand_id=quiz.brand_id,
        data={"quiz_id": quiz.pk, "score": score},
    )
    if attempt.passed:
        _skills_verified_by(quiz=quiz, expert=expert, actor=user)
    return attempt
