"""The knowledge base that learns: staff pages to write, edit, archive and search entries
with their record; entries that keep failing flagged; an expert's resolved answer made a
draft entry in one click and approved; the gaps grouped from recent questions."""

from __future__ import annotations

from typing import Any

import pytest

from routing import services
from routing.models import Assignment, AutoAnswer, KnowledgeEntry, Message, Question
from routing.triage import question_triage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]

CLEANING = "How do I clean the Trailblazer 2 after a muddy run?"
CLEAN_ANSWER = "Rinse them with lukewarm water and a soft brush, then let them dry slowly."


def entry(cast: Any, question: str, answer: str, **kwargs: Any) -> KnowledgeEntry:
    return services.knowledge_entry_create(
        brand=cast.acme, actor=cast.sam, question=question, answer=answer, **kwargs
    )


def triaged(cast: Any, body: str, **kwargs: Any) -> Question:
    question, _ = services.question_create(
        brand=cast.acme, asked_by=cast.carol, body=body, **kwargs
    )
    result = question_triage(question_id=question.pk)
    assert result is not None
    return result


def resolved_by_ada(cast: Any, ask: Any, body: str, answers: list[str]) -> Question:
    """``body`` goes through routing to Ada (the only expert online), who accepts, answers
    with ``answers`` and resolves it."""
    services.presence_set(user=cast.ada, status="online")
    services.presence_set(user=cast.grace, status="offline")
    question = ask(body)
    services.routing_offer_question(question_id=question.pk)
    offer = Assignment.objects.get(question=question, status="offered")
    services.assignment_accept(assignment_id=offer.pk, user=cast.ada)
    for text in answers:
        services.message_post(question=question, author=cast.ada, role="expert", body=text)
    services.question_resolve(question_id=question.pk, actor=cast.ada)
    question.refresh_from_db()
    return question


# --- the staff list -----------------------------------------------------------------------


def test_staff_search_and_filter_the_list_per_product_and_status(cast: Any, client: Any) -> None:
    # given
    shoe = entry(cast, CLEANING, CLEAN_ANSWER, product_id=cast.trail_shoe.pk)
    tent = entry(
        cast,
        "Can I pitch the Ridgeline alone?",
        "Yes: clip the inner to the poles first, then throw the fly over.",
        is_published=False,
    )
    old = entry(cast, "Do you ship to Mars?", "Not yet, but we are working on the rockets.")
    services.knowledge_entry_archive(entry=old, actor=cast.sam)
    client.force_login(cast.maya)
    url = "/brands/acme/manage/knowledge/"

    # when / then: everything but the archived by default
    page = client.get(url).content.decode()
    assert shoe.question in page
    assert tent.question in page
    assert old.question not in page
    assert "1 published · 1 draft · 1 archived" in page
    # text in the answer counts too, any case
    page = client.get(url, {"q": "POLES"}).content.decode()
    assert tent.question in page
    assert shoe.question not in page
    page = client.get(url, {"product": cast.trail_shoe.pk}).content.decode()
    assert shoe.question in page
    assert tent.question not in page
    page = client.get(url, {"product": "general"}).content.decode()
    assert tent.question in page
    assert shoe.question not in page
    page = client.get(url, {"status": "draft"}).content.decode()
    assert tent.question in page
    assert shoe.question not in page
    page = client.get(url, {"status": "archived"}).content.decode()
    assert old.question in page
    assert shoe.question not in page
    page = client.get(url, {"q": "zeppelin"}).content.decode()
    assert "No entry matches these filters." in page


def test_entries_that_keep_failing_are_flagged_and_filtered(cast: Any, client: Any) -> None:
    # given one entry customers keep turning away from and one that helps
    failing = entry(cast, CLEANING, "Put them in the washing machine at 60 degrees.")
    good = entry(cast, "Is the Ridgeline 2P waterproof?", "Yes: 3000 mm hydrostatic head.")
    KnowledgeEntry.objects.filter(pk=failing.pk).update(
        shown_count=12, helped_count=2, not_helped_count=7, handed_over_count=3
    )
    KnowledgeEntry.objects.filter(pk=good.pk).update(shown_count=12, helped_count=11)
    client.force_login(cast.sam)

    # when
    everything = client.get("/brands/acme/manage/knowledge/").content.decode()
    flagged = client.get("/brands/acme/manage/knowledge/", {"flagged": "on"}).content.decode()

    # then
    assert "1 keeps failing" in everything
    row = everything[everything.index(failing.question) :].split("</tr>")[0]
    assert "keeps failing" in row
    assert "17%" in row
    assert failing.question in flagged
    assert good.question not in flagged


@pytest.mark.parametrize(
    ("helped", "not_helped", "handed_over"),
    [(0, 0, 0), (0, 2, 0), (0, 3, 0), (0, 1, 2), (5, 3, 0), (5, 6, 0), (20, 9, 0), (1, 40, 9)],
)
def test_the_flag_in_sql_agrees_with_the_entry(
    cast: Any, helped: int, not_helped: int, handed_over: int
) -> None:
    row = entry(cast, CLEANING, CLEAN_ANSWER)
    KnowledgeEntry.objects.filter(pk=row.pk).update(
        helped_count=helped, not_helped_count=not_helped, handed_over_count=handed_over
    )
    row.refresh_from_db()
    assert KnowledgeEntry.objects.filter(pk=row.pk).failing().exists() == row.is_failing


def test_a_failing_entry_sinks_below_an_equal_text_alternative(cast: Any) -> None:
    # given two entries with the same question text, answering differently
    first = entry(cast, CLEANING, "Put them in the washing machine at 60 degrees.")
    second = entry(cast, CLEANING, CLEAN_ANSWER)
    assert triaged(cast, CLEANING).triage["knowledge_entry_id"] == first.pk  # ties: first wins

    # when a customer says the first did not help, through the real feedback
    question = triaged(cast, CLEANING)
    assert question.auto_answer.entry_id == first.pk
    services.auto_answer_feedback(question=question, helped=False)

    # then the equal alternative comes first; the first is quoted no more, then flagged
    assert triaged(cast, CLEANING).triage["knowledge_entry_id"] == second.pk
    first.refresh_from_db()
    assert (first.shown_count, first.not_helped_count) == (2, 1)
    assert first.rank_factor < 1
    assert not first.is_failing
    KnowledgeEntry.objects.filter(pk=first.pk).update(not_helped_count=3)
    first.refresh_from_db()
    assert first.is_failing


# --- writing and editing ------------------------------------------------------------------


def test_a_manager_writes_an_entry_and_the_ai_line_answers_with_it(cast: Any, client: Any) -> None:
    # given
    client.force_login(cast.maya)

    # when
    response = client.post(
        "/brands/acme/manage/knowledge/new/",
        {
            "product": cast.trail_shoe.pk,
            "question": CLEANING,
            "answer": CLEAN_ANSWER,
            "publish": "1",
        },
    )

    # then
    created = KnowledgeEntry.objects.get(brand=cast.acme)
    assert response.status_code == 302
    assert response["Location"] == f"/brands/acme/manage/knowledge/{created.pk}/"
    assert (created.product, created.is_published, created.source) == (cast.trail_shoe, True, "faq")
    question = triaged(cast, CLEANING, product_id=cast.trail_shoe.pk)
    assert question.status == Question.Status.AI_ANSWERED
    assert CLEAN_ANSWER in question.messages.get(role=Message.Role.AI).body


@pytest.mark.parametrize(
    ("question", "answer", "field", "message"),
    [
        ("", CLEAN_ANSWER, "question", "This field is required."),
        ("Hm?", CLEAN_ANSWER, "question", "Write the question as a customer would ask it."),
        (CLEANING, "   ", "answer", "This field is required."),
        (CLEANING, "Rinse.", "answer", "Write a complete answer."),
    ],
)
def test_bad_input_is_a_form_error_beside_its_field(
    cast: Any, client: Any, question: str, answer: str, field: str, message: str
) -> None:
    client.force_login(cast.sam)

    response = client.post(
        "/brands/acme/manage/knowledge/new/", {"question": question, "answer": answer}
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert not KnowledgeEntry.objects.filter(brand=cast.acme).exists()


def test_an_edit_is_what_the_next_question_gets_and_the_record_stays(
    cast: Any, client: Any
) -> None:
    # given an entry that answered once and helped
    row = entry(cast, CLEANING, "Rinse them.  Then dry them.", product_id=cast.trail_shoe.pk)
    first = triaged(cast, CLEANING, product_id=cast.trail_shoe.pk)
    services.auto_answer_feedback(question=first, helped=True)
    client.force_login(cast.sam)

    # when staff reword the answer
    response = client.post(
        f"/brands/acme/manage/knowledge/{row.pk}/",
        {"product": cast.trail_shoe.pk, "question": CLEANING, "answer": CLEAN_ANSWER},
    )

    # then the next question is answered with the new text, and the record is kept
    assert response.status_code == 302
    second = triaged(cast, CLEANING, product_id=cast.trail_shoe.pk)
    assert second.auto_answer.entry_id == row.pk
    assert CLEAN_ANSWER in second.messages.get(role=Message.Role.AI).body
    row.refresh_from_db()
    assert (row.answer, row.shown_count, row.helped_count) == (CLEAN_ANSWER, 2, 1)
    # and an empty question is refused beside its field
    response = client.post(
        f"/brands/acme/manage/knowledge/{row.pk}/", {"question": "", "answer": CLEAN_ANSWER}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["question"] == ["This field is required."]


def test_an_archived_entry_leaves_the_index_and_comes_back_as_a_draft(
    cast: Any, client: Any
) -> None:
    # given
    row = entry(cast, CLEANING, CLEAN_ANSWER, product_id=cast.trail_shoe.pk)
    assert (
        triaged(cast, CLEANING, product_id=cast.trail_shoe.pk).triage["knowledge_entry_id"]
        == row.pk
    )
    client.force_login(cast.sam)
    status_url = f"/brands/acme/manage/knowledge/{row.pk}/status/"

    # when archived
    client.post(status_url, {"action": "archive"})

    # then nobody is answered with it, and its public page is gone
    row.refresh_from_db()
    assert row.status == "archived"
    assert row.archived_at is not None
    after = triaged(cast, CLEANING, product_id=cast.trail_shoe.pk)
    assert after.status != Question.Status.AI_ANSWERED
    assert not AutoAnswer.objects.filter(question=after).exists()
    client.logout()
    assert client.get(f"/brands/acme/help/{row.pk}/").status_code == 404

    # when restored: a draft, still not quoted, until published
    client.force_login(cast.sam)
    client.post(status_url, {"action": "restore"})
    row.refresh_from_db()
    assert row.status == "draft"
    assert (
        triaged(cast, CLEANING, product_id=cast.trail_shoe.pk).status != Question.Status.AI_ANSWERED
    )
    client.post(status_url, {"action": "publish"})
    assert (
        triaged(cast, CLEANING, product_id=cast.trail_shoe.pk).triage["knowledge_entry_id"]
        == row.pk
    )


def test_the_entry_page_shows_its_record(cast: Any, client: Any) -> None:
    # given two automated answers: one helped, one did not
    row = entry(cast, CLEANING, CLEAN_ANSWER, product_id=cast.trail_shoe.pk)
    for helped in (True, False):
        question = triaged(cast, CLEANING, product_id=cast.trail_shoe.pk)
        services.auto_answer_feedback(question=question, helped=helped)
    client.force_login(cast.quinn)  # QA reads

    # when
    page = client.get(f"/brands/acme/manage/knowledge/{row.pk}/").content.decode()

    # then
    record = page[page.index('id="entry-record"') :].split("</div>\n</div>")[0]
    for value, label in (("2", "Shown"), ("1", "Helped"), ("1", "Didn't help")):
        assert f'<div class="value">{value}</div><div class="label">{label}</div>' in record
    assert '<div class="value">50%</div><div class="label">Help rate</div>' in record
    assert "Owners and managers edit entries." in page  # no form for QA
    assert 'name="action"' not in page


def test_quality_reviewers_read_but_cannot_change_the_knowledge_base(
    cast: Any, client: Any
) -> None:
    # given
    row = entry(cast, CLEANING, CLEAN_ANSWER)
    client.force_login(cast.quinn)

    # when / then
    assert client.get("/brands/acme/manage/knowledge/").status_code == 200
    assert client.get("/brands/acme/manage/knowledge/gaps/").status_code == 200
    assert client.get("/brands/acme/manage/knowledge/new/").status_code == 404
    created = client.post(
        "/brands/acme/manage/knowledge/new/", {"question": CLEANING, "answer": CLEAN_ANSWER}
    )
    edited = client.post(
        f"/brands/acme/manage/knowledge/{row.pk}/", {"question": "Hijacked?", "answer": "x" * 20}
    )
    archived = client.post(f"/brands/acme/manage/knowledge/{row.pk}/status/", {"action": "archive"})
    for response in (created, edited, archived):
        assert response.status_code == 302
        assert response["Location"] == "/brands/acme/manage/"
    row.refresh_from_db()
    assert (row.question, row.status) == (CLEANING, "published")
    assert KnowledgeEntry.objects.filter(brand=cast.acme).count() == 1


@pytest.mark.parametrize("who", ["ada", "carol", "nora"])
def test_experts_customers_and_other_brands_get_404(cast: Any, client: Any, who: str) -> None:
    row = entry(cast, CLEANING, CLEAN_ANSWER)
    client.force_login(getattr(cast, who))
    for url in (
        "/brands/acme/manage/knowledge/",
        "/brands/acme/manage/knowledge/gaps/",
        f"/brands/acme/manage/knowledge/{row.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/brands/acme/manage/knowledge/{row.pk}/status/", {"action": "archive"})
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.status == "published"


def test_another_brands_entry_is_not_found_under_our_brand(cast: Any, client: Any) -> None:
    theirs = services.knowledge_entry_create(
        brand=cast.northwind,
        actor=cast.nora,
        question="How do I true a gravel wheel?",
        answer="Use a spoke key a quarter turn at a time.",
    )
    client.force_login(cast.sam)
    assert client.get(f"/brands/acme/manage/knowledge/{theirs.pk}/").status_code == 404
    client.post(f"/brands/acme/manage/knowledge/{theirs.pk}/status/", {"action": "archive"})
    theirs.refresh_from_db()
    assert theirs.status == "published"


# --- an expert's answer becomes an entry ----------------------------------------------------


def test_an_approved_expert_answer_becomes_an_entry_the_index_answers_with(
    cast: Any, ask: Any, client: Any
) -> None:
    # given Ada resolved Carol's question; Carol left her email in it, Ada a phone number
    question = resolved_by_ada(
        cast,
        ask,
        "How do I clean my Trailblazer 2 after mud? Mail me at carol.d@example.com",
        [
            "Rinse them with lukewarm water and a soft brush, take the insoles out.",
            "Let them dry slowly at room temperature. Call me on +44 20 7946 0958 if not.",
        ],
    )
    client.force_login(cast.ada)

    # when Ada clicks "Make this an FAQ entry" on her resolved conversation
    page = client.get(f"/questions/{question.pk}/").content.decode()
    assert "Make this an FAQ entry" in page
    response = client.post(f"/questions/{question.pk}/faq-draft/")

    # then a draft, redacted, crediting her, not yet quoted
    assert response.status_code == 302
    draft = KnowledgeEntry.objects.get(source_question=question)
    assert (draft.status, draft.source, draft.expert) == ("draft", "expert", cast.ada_expert)
    assert draft.product == cast.trail_shoe
    assert "carol.d@example.com" not in draft.question
    assert draft.question.startswith("How do I clean my Trailblazer 2 after mud?")
    assert "Rinse them with lukewarm water" in draft.answer
    assert "Let them dry slowly" in draft.answer
    assert "7946" not in draft.answer
    body = "How do I clean my Trailblazer 2 after mud?"
    assert triaged(cast, body, product_id=cast.trail_shoe.pk).status != "ai_answered"

    # when Sam reviews and approves it
    client.force_login(cast.sam)
    review = client.get(f"/brands/acme/manage/knowledge/{draft.pk}/").content.decode()
    assert "Approve and publish" in review
    assert "Ada Lovelace" in review
    client.post(f"/brands/acme/manage/knowledge/{draft.pk}/status/", {"action": "publish"})

    # then the same question is answered with it, naming an approved expert answer
    answered = triaged(cast, body, product_id=cast.trail_shoe.pk)
    assert answered.status == Question.Status.AI_ANSWERED
    assert answered.auto_answer.entry_id == draft.pk
    assert "an approved expert answer at Acme Outdoors" in answered.messages.get(role="ai").body


def test_one_conversation_makes_one_entry(cast: Any, ask: Any, api_as: Any) -> None:
    question = resolved_by_ada(cast, ask, CLEANING, [CLEAN_ANSWER])
    client = api_as(cast.sam)
    first = client.post(f"/api/v1/questions/{question.pk}/knowledge-draft")
    second = client.post(f"/api/v1/questions/{question.pk}/knowledge-draft")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["expert_id"] == cast.ada_expert.pk
    assert first.json()["status"] == "draft"
    assert KnowledgeEntry.objects.filter(source_question=question).count() == 1


def test_who_may_make_a_conversation_an_entry(cast: Any, ask: Any, api_as: Any) -> None:
    # given a resolved conversation and an open one
    question = resolved_by_ada(cast, ask, CLEANING, [CLEAN_ANSWER])
    still_open = ask("Do the Trailblazer 2 run narrow?")
    url = f"/api/v1/questions/{question.pk}/knowledge-draft"

    # then the customer and QA may not, someone outside the conversation gets 404
    assert api_as(cast.carol).post(url).status_code == 403
    assert api_as(cast.quinn).post(url).status_code == 403
    assert api_as(cast.grace).post(url).status_code == 404
    assert api_as(cast.nora).post(url).status_code == 404
    assert not KnowledgeEntry.objects.exists()
    # an open conversation has nothing to keep yet
    response = api_as(cast.sam).post(f"/api/v1/questions/{still_open.pk}/knowledge-draft")
    assert response.status_code == 409
    assert not KnowledgeEntry.objects.exists()


# --- gaps ---------------------------------------------------------------------------------


def test_gaps_group_unanswered_questions_and_propose_the_best_expert_answer(
    cast: Any, ask: Any, client: Any, api_as: Any
) -> None:
    # given recent questions the knowledge base could not answer: three about cleaning
    # (two resolved by Ada, rated 2 and 5), two about pitching the tent in wind
    poor = resolved_by_ada(
        cast, ask, "How should I wash my Trailblazer shoes?", ["Machine wash them, it's fine."]
    )
    best = resolved_by_ada(
        cast, ask, "What is the best way to clean my Trailblazer shoes?", [CLEAN_ANSWER]
    )
    ask("How can I clean the Trailblazer shoes after a muddy trail run?")
    ask("How do I pitch the Ridgeline tent in strong wind?", product=None)
    ask("Pitching the Ridgeline tent when it is very windy: any tips?", product=None)
    for question, score in ((poor, 2), (best, 5)):
        rated = api_as(cast.carol).post(
            f"/api/v1/questions/{question.pk}/rating",
            {"score": score, "solved": True},
            format="json",
        )
        assert rated.status_code == 201
    # and one the AI line answered well, which is no gap
    entry(cast, "Is the Ridgeline 2P waterproof?", "Yes: 3000 mm hydrostatic head, taped seams.")
    good = triaged(cast, "Is the Ridgeline 2P waterproof?")
    services.auto_answer_feedback(question=good, helped=True)
    client.force_login(cast.sam)

    # when
    page = client.get("/brands/acme/manage/knowledge/gaps/").content.decode()
    gaps = api_as(cast.sam).get("/api/v1/brands/acme/knowledge/gaps").json()

    # then the biggest group first, with the best rated answer
    assert [gap["size"] for gap in gaps] == [3, 2]
    assert gaps[0]["best_question_id"] == best.pk
    assert gaps[0]["best_answer"] == CLEAN_ANSWER
    assert (gaps[0]["best_expert"], gaps[0]["best_rating"]) == ("Ada Lovelace", 5)
    assert gaps[1]["best_question_id"] is None
    assert "waterproof" not in page
    assert "5 questions of the last 30 days had no good entry" in page
    assert "Propose a draft entry" in page

    # when Sam proposes the entry from it
    response = client.post("/brands/acme/manage/knowledge/gaps/propose/", {"question_id": best.pk})

    # then a draft from Ada's answer, and the gap points to it
    draft = KnowledgeEntry.objects.get(source_question=best)
    assert response["Location"] == f"/brands/acme/manage/knowledge/{draft.pk}/"
    assert (draft.status, draft.expert, draft.answer) == ("draft", cast.ada_expert, CLEAN_ANSWER)
    page = client.get("/brands/acme/manage/knowledge/gaps/").content.decode()
    assert "Open the draft entry" in page


def test_a_gap_proposal_from_another_brands_question_is_refused(
    cast: Any, ask: Any, client: Any
) -> None:
    question = resolved_by_ada(cast, ask, CLEANING, [CLEAN_ANSWER])
    client.force_login(cast.nora)
    response = client.post(
        "/brands/northwind/manage/knowledge/gaps/propose/", {"question_id": question.pk}
    )
    assert response.status_code == 302
    assert not KnowledgeEntry.objects.exists()


# --- the API ------------------------------------------------------------------------------


def test_the_api_reads_edits_approves_archives_and_restores_an_entry(
    cast: Any, api_as: Any
) -> None:
    row = entry(cast, CLEANING, CLEAN_ANSWER, is_published=False)
    base = f"/api/v1/brands/acme/knowledge/{row.pk}"
    client = api_as(cast.maya)

    detail = client.get(base).json()
    assert (detail["status"], detail["record"]["shown"], detail["help_rate"]) == ("draft", 0, None)

    bad = client.patch(base, {"question": ""}, format="json")
    assert bad.status_code == 400
    assert "question" in bad.json()["error"]["fields"]

    edited = client.patch(base, {"answer": CLEAN_ANSWER + " Never machine-wash."}, format="json")
    assert edited.status_code == 200
    assert edited.json()["answer"].endswith("Never machine-wash.")
    assert client.post(f"{base}/publish").json()["status"] == "published"
    assert client.post(f"{base}/archive").json()["status"] == "archived"
    refused = client.post(f"{base}/publish")
    assert refused.status_code == 409
    assert client.post(f"{base}/restore").json()["status"] == "draft"
    assert client.post(f"{base}/unpublish").json()["status"] == "draft"

    listed = client.get("/api/v1/brands/acme/knowledge").json()["results"]
    assert [(row["id"], row["status"]) for row in listed] == [(row.pk, "draft")]

    qa = api_as(cast.quinn)
    assert qa.get(base).status_code == 200
    assert qa.post(f"{base}/archive").status_code == 403
    assert qa.patch(base, {"answer": "Hijacked by QA."}, format="json").status_code == 403
    row.refresh_from_db()
    assert row.status == "draft"
    assert "QA" not in row.answer


# --- grouping -----------------------------------------------------------------------------

GROUPABLE = [
    "Does the Trailblazer 2 fit true to size?",
    "Should I size up in the Trailblazer 2?",
    "How do I pitch the Ridgeline tent in strong wind?",
    "Any tips for pitching the Ridgeline when it is very windy?",
    "How should I wash my Trailblazer shoes?",
    "What is the best way to clean my Trailblazer shoes?",
    "How can I clean the Trailblazer shoes after a muddy trail run?",
    "Where is my order? It has been two weeks.",
]


@pytest.mark.parametrize("backend", ["onnx", "tfidf"])
def test_questions_asking_the_same_thing_are_grouped_on_each_backend(backend: str) -> None:
    from routing.text.clusters import GROUP_THRESHOLDS, greedy_groups, similarities

    matrix, used = similarities(GROUPABLE, backend)
    groups = greedy_groups(matrix, GROUP_THRESHOLDS[used])

    assert used == backend
    assert groups == [[4, 5, 6], [0, 1], [2, 3], [7]]


def test_the_list_page_costs_the_same_queries_for_many_entries(
    cast: Any, client: Any, django_assert_max_num_queries: Any
) -> None:
    for number in range(30):
        entry(cast, f"Question number {number} about the shoes?", CLEAN_ANSWER)
    client.force_login(cast.sam)
    with django_assert_max_num_queries(12):
        assert client.get("/brands/acme/manage/knowledge/").status_code == 200


# --- other ways of asking -------------------------------------------------------------------

MACHINE_WASH = "Can the Trailblazer 2 go in the washing machine?"


def test_other_ways_of_asking_written_on_the_page_are_what_the_ai_line_matches(
    cast: Any, client: Any
) -> None:
    # given an entry asked one way, which a differently worded question does not reach
    row = entry(cast, CLEANING, CLEAN_ANSWER, product_id=cast.trail_shoe.pk)
    before = triaged(cast, MACHINE_WASH, product_id=cast.trail_shoe.pk)
    assert before.status != Question.Status.AI_ANSWERED
    client.force_login(cast.maya)

    # when the manager adds other ways customers ask it (a blank line and a repeat left out)
    response = client.post(
        f"/brands/acme/manage/knowledge/{row.pk}/",
        {
            "product": cast.trail_shoe.pk,
            "question": CLEANING,
            "phrasings": f"{MACHINE_WASH}\n\nCan I machine-wash my Trailblazer 2?\n{CLEANING}\n",
            "answer": CLEAN_ANSWER,
        },
    )

    # then they are stored, shown, and the same question is now answered with the entry
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.phrasings == [MACHINE_WASH, "Can I machine-wash my Trailblazer 2?"]
    after = triaged(cast, MACHINE_WASH, product_id=cast.trail_shoe.pk)
    assert after.status == Question.Status.AI_ANSWERED
    assert after.auto_answer.entry_id == row.pk
    page = client.get(f"/brands/acme/manage/knowledge/{row.pk}/").content.decode()
    assert "Other ways customers ask this" in page
    assert "Can I machine-wash my Trailblazer 2?" in page
    # quality reviewers read them without a form
    client.force_login(cast.quinn)
    page = client.get(f"/brands/acme/manage/knowledge/{row.pk}/").content.decode()
    assert 'id="entry-phrasings"' in page
    assert "Can I machine-wash my Trailblazer 2?" in page


def test_the_api_writes_other_ways_of_asking_and_refuses_bad_ones(cast: Any, api_as: Any) -> None:
    client = api_as(cast.maya)
    created = client.post(
        "/api/v1/brands/acme/knowledge",
        {"question": CLEANING, "answer": CLEAN_ANSWER, "phrasings": [MACHINE_WASH, " ", CLEANING]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["phrasings"] == [MACHINE_WASH]
    base = f"/api/v1/brands/acme/knowledge/{created.json()['id']}"

    # an edit that leaves them out keeps them; a list replaces them
    kept = client.patch(base, {"answer": CLEAN_ANSWER + " Air-dry them."}, format="json")
    assert kept.json()["phrasings"] == [MACHINE_WASH]
    replaced = client.patch(base, {"phrasings": ["Washing machine OK?"]}, format="json")
    assert replaced.json()["phrasings"] == ["Washing machine OK?"]

    for bad, message in [
        ("Washing machine OK?", "Expected a list"),
        (["x" * 301], "300"),
        ([f"Way number {n}?" for n in range(31)], "At most 30"),
    ]:
        refused = client.patch(base, {"phrasings": bad}, format="json")
        assert refused.status_code == 400, bad
        fields = refused.json()["error"]["fields"]  # "phrasings", or "phrasings.0" for an item
        assert message in str([text for name, text in fields.items() if "phrasings" in name])
    row = KnowledgeEntry.objects.get(pk=created.json()["id"])
    assert row.phrasings == ["Washing machine OK?"]


def test_gaps_page_groups_triaged_questions_without_running_the_model_again(
    cast: Any, ask: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given three questions triage handled (no entry could answer them: they went to people)
    # and one that never went through triage
    monkeypatch.setenv("GIGCX_TEXT_BACKEND", "onnx")
    triaged_questions = [
        triaged(cast, "How do I pitch the Ridgeline tent in strong wind?", product_id=None),
        triaged(cast, "Pitching the Ridgeline tent when it is very windy: any tips?"),
        triaged(cast, "Can I machine wash the Trailblazer 2?"),
    ]
    untriaged = ask("Is the Trailblazer 2 sole resoleable?")
    for question in triaged_questions:
        question.refresh_from_db()
        assert question.triage["path"] == "human"
        assert question.text_vector_backend == "onnx"
        assert len(bytes(question.text_vector)) == 384 * 2
    from routing.text import clusters

    embedded: list[str] = []
    real_embed = clusters.embed

    def recording(texts: list[str], **kwargs: Any) -> Any:
        embedded.extend(texts)
        return real_embed(texts, **kwargs)

    monkeypatch.setattr(clusters, "embed", recording)
    client.force_login(cast.sam)

    # when staff open the gaps page for the first time
    response = client.get("/brands/acme/manage/knowledge/gaps/")

    # then only the question triage never saw ran through the model, and the stored vectors
    # group the two wind questions together
    assert response.status_code == 200
    assert embedded == [untriaged.expert_text]
    assert sorted(gap.size for gap in response.context["gaps"]) == [1, 1, 2]
    assert "4 questions of the last 30 days had no good entry" in response.content.decode()
