"""GigCX's own sentences in a conversation ("Ada joined the conversation.") are stored once,
in English, and each reader sees them in her language: the page and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from routing import system_texts
from routing.models import Message
from routing.system_texts import system_text

pytestmark = pytest.mark.django_db


def test_fixed_and_patterned_sentences_are_translated_and_anything_else_is_left_alone() -> None:
    with translation.override("de"):
        assert system_text(system_texts.ESCALATED).startswith("Wir haben Ihre Frage")
        assert system_text("Ada Lovelace joined the conversation.") == (
            "Ada Lovelace ist der Unterhaltung beigetreten."
        )
        assert (
            system_text("Call with Ada ended at 10:42 UTC (started 10:30, lasted 12 min).")
            == "Anruf mit Ada um 10:42 UTC beendet (begonnen 10:30, Dauer 12 min)."
        )
        reopened = system_text(f"{system_texts.REOPENED} Still squeaks.")
        assert (
            reopened == "Der Kunde hat die Frage wieder geöffnet: noch nicht gelöst. Still squeaks."
        )
        assert system_text("Something a person typed.") == "Something a person typed."
    with translation.override("en"):
        assert system_text("Ada Lovelace joined the conversation.") == (
            "Ada Lovelace joined the conversation."
        )


def test_the_customer_reads_the_conversations_system_messages_in_her_language(
    cast: Any, assigned: Any, api_as: Any
) -> None:
    stored = list(
        Message.objects.filter(question=assigned, role=Message.Role.SYSTEM).values_list(
            "body", flat=True
        )
    )
    assert "Ada Lovelace joined the conversation." in stored  # stored once, in English

    client = Client()
    client.force_login(cast.carol)
    german = client.get(f"/questions/{assigned.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = client.get(f"/questions/{assigned.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ada Lovelace ist der Unterhaltung beigetreten." in german
    assert "joined the conversation" not in german
    assert "Ada Lovelace joined the conversation." in english

    api = api_as(cast.carol)
    body = api.get(f"/api/v1/questions/{assigned.pk}/messages", HTTP_ACCEPT_LANGUAGE="de").json()
    system = [m["body"] for m in body if m["role"] == "system"]
    assert "Ada Lovelace ist der Unterhaltung beigetreten." in system


def test_escalation_reasons_are_stored_in_english_and_read_in_the_readers_language() -> None:
    with translation.override("de"):
        assert system_texts.escalation_reason_text(system_texts.ESCALATION_SLA) == (
            "Innerhalb der SLA hat kein Experte geantwortet."
        )
        assert system_texts.escalation_reason_text("Expert: Wants a refund") == (
            "Experte: Wants a refund"  # her words stay as typed
        )
        # the crash reason as older rows hold it
        older = "Automatic route failed twice on this question; the brand's team takes it."
        assert system_texts.escalation_reason_text(older) == (
            system_texts.escalation_reason_text(system_texts.escalation_crashed("route"))
        )
        assert "zweimal" in system_texts.escalation_reason_text(older)
        assert system_texts.escalation_reason_text("Typed by a person.") == "Typed by a person."
    with translation.override("en"):
        assert system_texts.escalation_reason_text(system_texts.ESCALATION_SLA) == (
            "No expert answered within the SLA."
        )


def test_the_staff_queue_and_the_api_give_the_escalation_reason_in_the_readers_language(
    cast: Any, ask: Any, api_as: Any
) -> None:
    from django.db import transaction

    from routing.services.offers import question_escalate_locked

    question = ask("The sole came off after two weeks")
    with transaction.atomic():
        question_escalate_locked(question, reason=system_texts.ESCALATION_SLA)
    question.refresh_from_db()
    assert question.escalation_reason == "No expert answered within the SLA."  # stored English

    client = Client()
    client.force_login(cast.maya)
    german = client.get(
        "/brands/acme/manage/queue/?tab=escalated", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    english = client.get(
        "/brands/acme/manage/queue/?tab=escalated", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Grund: Innerhalb der SLA hat kein Experte geantwortet." in german
    assert "within the SLA" not in german
    assert "Why: No expert answered within the SLA." in english

    api = api_as(cast.sam)
    rows = api.get("/api/v1/brands/acme/questions", HTTP_ACCEPT_LANGUAGE="de").json()["results"]
    [row] = [r for r in rows if r["id"] == question.pk]
    assert row["escalation_reason"] == "Innerhalb der SLA hat kein Experte geantwortet."
    rows = api.get("/api/v1/brands/acme/questions", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    [row] = [r for r in rows if r["id"] == question.pk]
    assert row["escalation_reason"] == "No expert answered within the SLA."
