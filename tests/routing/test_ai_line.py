"""The AI first line: the README tour, the customer's preference, the answer's source, and
"Did that help?" moving the brand's threshold and the entry's rank."""

from __future__ import annotations

from typing import Any

import pytest

from routing import demo, services
from routing.models import AnswerCalibration, AutoAnswer, KnowledgeEntry, Message, Question
from routing.services import knowledge
from routing.text.knowledge import AUTO_ANSWER_THRESHOLDS
from routing.triage import question_triage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]


@pytest.fixture
def demo_faq(cast: Any) -> dict[str, KnowledgeEntry]:
    """Acme's demo knowledge base, as ``make run`` seeds it."""
    demo.seed(brand=cast.acme, actor=cast.sam, created=[])
    return {entry.question: entry for entry in KnowledgeEntry.objects.filter(brand=cast.acme)}


def asked(cast: Any, body: str, **kwargs: Any) -> Question:
    question, _ = services.question_create(
        brand=cast.acme, asked_by=cast.carol, body=body, **kwargs
    )
    return question


def triaged(cast: Any, body: str, **kwargs: Any) -> Question:
    question = question_triage(question_id=asked(cast, body, **kwargs).pk)
    assert question is not None
    return question


def test_the_readme_tour_question_is_answered_automatically_with_its_source(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    # given the demo data and the README's tour: Carol picks the Trailblazer 2
    entry = demo_faq["How do I clean the Trailblazer 2?"]

    # when
    question = triaged(cast, "How do I clean them?", product_id=cast.trail_shoe.pk)

    # then the knowledge base answers at once, labelled, naming and linking its source
    assert question.status == Question.Status.AI_ANSWERED
    assert question.triage["knowledge_entry_id"] == entry.pk
    assert question.triage["knowledge_confidence"] >= question.triage["answer_threshold"]
    body = question.messages.get(role=Message.Role.AI).body
    assert "Rinse mud off" in body
    assert (
        'Automated answer from the Acme Outdoors FAQ: "How do I clean the Trailblazer 2?"' in body
    )
    assert f"/brands/acme/help/{entry.pk}/" in body
    record = AutoAnswer.objects.get(question=question)
    assert (record.entry, record.below_threshold, record.outcome) == (entry, False, "pending")
    entry.refresh_from_db()
    assert entry.shown_count == 1


def test_the_source_link_opens_the_entry_for_anyone(
    client: Any, cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    entry = demo_faq["How do I clean the Trailblazer 2?"]
    response = client.get(f"/brands/acme/help/{entry.pk}/")
    assert response.status_code == 200
    assert "Rinse mud off" in response.content.decode()
    assert "entry-record" not in response.content.decode()  # the record is for staff
    client.force_login(cast.sam)
    assert "entry-record" in client.get(f"/brands/acme/help/{entry.pk}/").content.decode()


def test_auto_stays_quiet_below_the_threshold(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    question = triaged(cast, "Can I get the Ridgeline in green?", preference="auto")
    assert question.status == Question.Status.WAITING
    assert question.triage["path"] == "human"
    assert not AutoAnswer.objects.filter(question=question).exists()


def test_ai_first_gets_the_best_entry_below_the_threshold_clearly_labelled(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    # when the same question asks for the AI first
    question = triaged(cast, "Can I get the Ridgeline in green?", preference="ai")

    # then it gets the closest entry, saying it may not fit, with a person one click away
    assert question.status == Question.Status.AI_ANSWERED
    record = AutoAnswer.objects.get(question=question)
    assert record.below_threshold
    assert record.confidence < record.threshold
    body = question.messages.get(role=Message.Role.AI).body
    assert "may not fit your question" in body
    assert services.question_request_human(question=question).status == Question.Status.WAITING


def test_ai_first_still_sends_an_upset_customer_to_a_person(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    question = triaged(
        cast,
        "This is the THIRD time I ask!!! How do I clean them? Unacceptable.",
        product_id=cast.trail_shoe.pk,
        preference="ai",
    )
    assert question.status == Question.Status.WAITING
    assert question.priority == 2


def test_expert_skips_the_bot_even_for_a_perfect_match(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    question = triaged(
        cast,
        "How do I clean the Trailblazer 2?",
        product_id=cast.trail_shoe.pk,
        preference="expert",
    )
    assert question.status == Question.Status.WAITING
    assert question.triage["knowledge_entry_id"] is None


def test_an_entry_about_another_product_never_answers(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    # given a question about the tent that reads like the shoe-cleaning entry
    tent = demo_faq["Is the Ridgeline 2P waterproof?"].product
    question = triaged(cast, "How do I clean the Trailblazer 2?", product_id=tent.pk)
    assert question.triage["knowledge_entry_id"] != demo_faq["How do I clean the Trailblazer 2?"].pk


def test_feedback_is_a_button_and_an_api_with_the_entry_record(
    cast: Any, demo_faq: dict[str, KnowledgeEntry], api_as: Any, client: Any
) -> None:
    # given an automated answer on Carol's conversation page
    question = triaged(cast, "How do I clean them?", product_id=cast.trail_shoe.pk)
    client.force_login(cast.carol)
    page = client.get(f"/questions/{question.pk}/").content.decode()
    assert 'data-action="helped"' in page
    assert 'data-action="not-helped"' in page
    assert 'href="http://localhost:8000/brands/acme/help/' in page  # the source is a link

    # when she says it did not help
    response = api_as(cast.carol).post(
        f"/api/v1/questions/{question.pk}/feedback", {"helped": False}, format="json"
    )

    # then it is recorded on the answer and the entry, and a person is offered
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "not_helped"
    entry = demo_faq["How do I clean the Trailblazer 2?"]
    entry.refresh_from_db()
    assert (entry.shown_count, entry.not_helped_count, entry.helped_count) == (1, 1, 0)
    # a second, different answer is a conflict; the same one is a no-op
    again = api_as(cast.carol).post(
        f"/api/v1/questions/{question.pk}/feedback", {"helped": True}, format="json"
    )
    assert again.status_code == 409
    # going to a person afterwards counts on the entry's record, not twice in calibration
    services.question_request_human(question=question)
    entry.refresh_from_db()
    assert entry.handed_over_count == 1
    assert AutoAnswer.objects.get(question=question).outcome == "not_helped"


def test_only_the_asker_can_give_feedback(
    cast: Any, demo_faq: dict[str, KnowledgeEntry], api_as: Any
) -> None:
    question = triaged(cast, "How do I clean them?", product_id=cast.trail_shoe.pk)
    response = api_as(cast.ada).post(
        f"/api/v1/questions/{question.pk}/feedback", {"helped": True}, format="json"
    )
    assert response.status_code in (403, 404)
    assert AutoAnswer.objects.get(question=question).outcome == "pending"


def test_going_to_a_person_after_an_automated_answer_is_its_outcome(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    question = triaged(cast, "How do I clean them?", product_id=cast.trail_shoe.pk)
    services.question_request_human(question=question)
    assert AutoAnswer.objects.get(question=question).outcome == "handed_over"


def _outcomes(cast: Any, entry: KnowledgeEntry, confidences: list[tuple[float, bool]]) -> None:
    """Answers recorded as if triage had given them, each with its outcome."""
    for confidence, helped in confidences:
        question = asked(cast, "A question about the Trailblazer 2 shoes")
        answer = AutoAnswer.objects.create(
            question=question,
            brand=cast.acme,
            entry=entry,
            backend=knowledge._backend(),
            score=confidence,
            confidence=confidence,
            threshold=0.95,
        )
        Question.objects.filter(pk=question.pk).update(status=Question.Status.AI_ANSWERED)
        services.auto_answer_feedback(question=answer.question, helped=helped)


def test_the_threshold_does_not_move_before_the_minimum_sample(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    entry = demo_faq["How do I clean the Trailblazer 2?"]
    _outcomes(cast, entry, [(0.6, True)] * (knowledge.MIN_OUTCOMES - 1))
    summary = knowledge.answer_calibration_summary(brand_id=cast.acme.pk)
    assert not summary["calibrated"]
    assert summary["threshold"] == AUTO_ANSWER_THRESHOLDS[summary["backend"]]
    assert summary["outcomes"] == knowledge.MIN_OUTCOMES - 1


def test_good_outcomes_below_the_threshold_bring_it_down(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    # given AI-first answers at 0.7 that nearly all helped, and weaker ones at 0.5 that did not
    entry = demo_faq["How do I clean the Trailblazer 2?"]
    _outcomes(cast, entry, [(0.7, True)] * 28 + [(0.7, False)] + [(0.5, False)] * 10)

    # then the brand answers automatically from 0.7 on
    calibration = AnswerCalibration.objects.get(brand=cast.acme)
    assert calibration.threshold == pytest.approx(0.7)
    assert knowledge.answer_threshold_for(
        brand_id=cast.acme.pk, backend=calibration.backend
    ) == pytest.approx(0.7)


def test_bad_outcomes_raise_the_threshold_and_a_stricter_target_too(
    cast: Any, demo_faq: dict[str, KnowledgeEntry], api_as: Any
) -> None:
    # given confident answers that helped 85 % of the time
    entry = demo_faq["How do I clean the Trailblazer 2?"]
    _outcomes(cast, entry, [(1.2, True)] * 17 + [(1.2, False)] * 3)
    _outcomes(cast, entry, [(1.1, True)] * 17 + [(1.1, False)] * 3)

    # then at the 93 % target the AI line stays quiet
    calibration = AnswerCalibration.objects.get(brand=cast.acme)
    assert calibration.threshold > 1.2

    # when the owner lowers the target to 80 % (shown to staff through the API)
    response = api_as(cast.sam).patch(
        "/api/v1/brands/acme/knowledge/calibration", {"target_precision": 0.8}, format="json"
    )

    # then it answers again from 1.1
    assert response.status_code == 200, response.content
    assert response.json()["calibrated"] is True
    assert response.json()["threshold"] == pytest.approx(1.1)
    assert response.json()["outcomes"] == 40
    # quality reviewers read it but cannot change it
    assert api_as(cast.quinn).get("/api/v1/brands/acme/knowledge/calibration").status_code == 200
    denied = api_as(cast.quinn).patch(
        "/api/v1/brands/acme/knowledge/calibration", {"target_precision": 0.9}, format="json"
    )
    assert denied.status_code == 403


def test_feedback_moves_an_entrys_rank(cast: Any) -> None:
    # given two entries that answer the same question differently, nearly tied
    first = services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        question="How do I clean my trail shoes?",
        answer="Put them in the washing machine at 30 degrees.",
    )
    second = services.knowledge_entry_create(
        brand=cast.acme,
        actor=cast.sam,
        question="How should I clean trail shoes?",
        answer="Rinse with lukewarm water and a soft brush.",
    )
    body = "How do I clean my trail shoes?"
    assert triaged(cast, body).triage["knowledge_entry_id"] == first.pk

    # when the first keeps failing customers
    KnowledgeEntry.objects.filter(pk=first.pk).update(shown_count=6, not_helped_count=6)

    # then the second comes first, and the staff page flags the first
    assert triaged(cast, body).triage["knowledge_entry_id"] == second.pk
    first.refresh_from_db()
    assert first.is_failing
    assert first.rank_factor < 0.7


def test_staff_see_the_threshold_and_each_entrys_record(
    client: Any, cast: Any, demo_faq: dict[str, KnowledgeEntry], api_as: Any
) -> None:
    question = triaged(cast, "How do I clean them?", product_id=cast.trail_shoe.pk)
    services.auto_answer_feedback(question=question, helped=True)

    client.force_login(cast.sam)
    page = client.get("/brands/acme/manage/queue/").content.decode()
    assert 'id="ai-line"' in page
    assert "moves once 30 answers have an outcome; 1 so far" in page

    listing = api_as(cast.sam).get("/api/v1/brands/acme/knowledge").json()["results"]
    record = next(row["record"] for row in listing if row["id"] == question.auto_answer.entry_id)
    assert record["shown"] == record["helped"] == 1
    public = api_as(None).get("/api/v1/brands/acme/knowledge").json()["results"]
    assert all(row["record"] is None for row in public)


def test_a_worker_process_loads_the_model_and_indexes_at_start(
    cast: Any, demo_faq: dict[str, KnowledgeEntry], caplog: pytest.LogCaptureFixture
) -> None:
    from routing.tasks import _load_text_models
    from routing.text import knowledge as text_knowledge

    # given a brand that has had a question, and a process that has indexed nothing
    asked(cast, "Do the Trailblazer 2 run narrow?")
    text_knowledge._cache.clear()
    caplog.set_level("INFO", logger="routing.tasks")

    # when the worker process starts
    _load_text_models()

    # then the model is loaded and Acme's knowledge base is already indexed
    assert "text backend onnx ready" in caplog.text
    assert "(1 knowledge bases indexed)" in caplog.text
    assert len(text_knowledge._cache) == 1


def test_the_tour_question_is_answered_on_the_tfidf_fallback_too(
    cast: Any, demo_faq: dict[str, KnowledgeEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from routing.text import embeddings

    # given a machine where onnxruntime cannot be imported
    monkeypatch.delenv("GIGCX_TEXT_BACKEND", raising=False)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    embeddings.forget_backend_choice()
    try:
        # when
        question = triaged(cast, "How do I clean them?", product_id=cast.trail_shoe.pk)

        # then TF-IDF answers it, against TF-IDF's own threshold
        assert question.triage["text_backend"] == "tfidf"
        assert question.triage["answer_threshold"] == AUTO_ANSWER_THRESHOLDS["tfidf"]
        assert question.status == Question.Status.AI_ANSWERED
    finally:
        monkeypatch.undo()
        embeddings.forget_backend_choice()


def test_an_entrys_other_phrasings_let_the_ai_line_answer_a_question_worded_like_them(
    cast: Any, demo_faq: dict[str, KnowledgeEntry]
) -> None:
    # given the return policy, worded as staff wrote it: a question about boots that do not
    # fit goes to a person
    body = "Can I send the boots back if they do not fit?"
    entry = demo_faq["What is your return policy?"]
    before = triaged(cast, body)
    assert before.status == Question.Status.WAITING

    # when staff record how customers really ask it (the model field; the pages come later)
    KnowledgeEntry.objects.filter(pk=entry.pk).update(
        phrasings=[
            "Can I send boots back if they don't fit?",
            "Can I send back boots that do not fit?",
            "Can boots that don't fit go back?",
        ]
    )
    after = triaged(cast, body)

    # then the same question is answered at once from that entry, above the threshold
    assert after.status == Question.Status.AI_ANSWERED
    assert after.triage["knowledge_entry_id"] == entry.pk
    assert after.triage["knowledge_confidence"] >= after.triage["answer_threshold"]
    assert "within 60 days" in after.messages.get(role=Message.Role.AI).body


def test_thresholds_calibrated_on_the_old_tfidf_confidence_go_back_to_the_default(
    cast: Any, demo_faq: dict[str, KnowledgeEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    from django.apps import apps

    from routing.text import embeddings

    rescaled = importlib.import_module("routing.migrations.0012_tfidf_confidence_rescaled")
    entry = demo_faq["How do I clean the Trailblazer 2?"]
    # given Acme calibrated on the old TF-IDF confidence and Northwind on the embeddings
    AnswerCalibration.objects.create(
        brand=cast.acme, backend="tfidf", threshold=0.55, outcomes=40, precision=0.95
    )
    AnswerCalibration.objects.create(
        brand=cast.northwind, backend="onnx", threshold=0.81, outcomes=35, precision=0.94
    )
    old = AutoAnswer.objects.create(
        question=asked(cast, "A question about the Trailblazer 2 shoes"),
        brand=cast.acme,
        entry=entry,
        backend="tfidf",
        score=0.6,
        confidence=0.62,
        threshold=0.55,
        outcome=AutoAnswer.Outcome.HELPED,
    )

    # when the data migration runs
    rescaled.forwards(apps, None)

    # then Acme's old threshold is gone (its target stays), its old answers keep their
    # outcome under another label, and Northwind's embeddings threshold is untouched
    acme = AnswerCalibration.objects.get(brand=cast.acme)
    assert (acme.backend, acme.threshold, acme.outcomes) == (rescaled.OLD, None, 0)
    assert acme.target_precision == 0.93
    old.refresh_from_db()
    assert (old.backend, old.outcome) == (rescaled.OLD, "helped")
    northwind = AnswerCalibration.objects.get(brand=cast.northwind)
    assert (northwind.backend, northwind.threshold) == ("onnx", 0.81)

    # and on TF-IDF Acme answers against the new default, counting no old-scale outcome
    monkeypatch.setenv("GIGCX_TEXT_BACKEND", "tfidf")
    embeddings.forget_backend_choice()
    try:
        assert (
            knowledge.answer_threshold_for(brand_id=cast.acme.pk, backend="tfidf")
            == (AUTO_ANSWER_THRESHOLDS["tfidf"])
        )
        calibration = knowledge.answer_threshold_calibrate(brand_id=cast.acme.pk)
        assert (calibration.backend, calibration.outcomes, calibration.threshold) == (
            "tfidf",
            0,
            None,
        )
    finally:
        monkeypatch.undo()
        embeddings.forget_backend_choice()

    # and reversing restores the labels
    rescaled.backwards(apps, None)
    old.refresh_from_db()
    assert old.backend == "tfidf"
