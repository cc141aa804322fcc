"""Proactive care: surges of one problem per product, and the known-issue notices staff
publish from them.

``surges_detect`` runs ``routing.text.surge.find_surges`` over one product's recent
questions (the beat task ``routing.detect_surges`` calls it for every product with enough of
them). A group that fires becomes a ``SurgeIncident`` (or adds to the open one it matches),
with a draft knowledge entry from the best expert answer so far, and the brand's staff get a
live alert. Staff publish it as the product's known-issue notice (one click: the entry is
published with it), dismiss it, or end the notice. While a notice is in force, triage answers
new questions on the product with its entry first, labelled, one click from a person.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from gigcx.audit import audit_record
from gigcx.exceptions import ApplicationError, ConflictError
from marketplace.models import BrandMembership, Product
from routing.live import push_after_commit
from routing.models import Assignment, Message, Question, SurgeIncident
from routing.text.surge import SurgeSettings, find_surges, question_vectors

logger = logging.getLogger(__name__)

SETTINGS = SurgeSettings()
# The newest questions of the baseline period that are compared (the period's span shrinks
# to what they cover): a busy product's history stays a few thousand dot products.
HISTORY_LIMIT = 2000
RECENT_LIMIT = 500
EXAMPLES_KEPT = 50
# A known incident is recognised by its newest questions, measured again with each run's.
REMEMBERED_PER_INCIDENT = 8
HEADLINE_MAX = 200


def surges_detect(
    *, product_id: int, now: datetime | None = None, settings: SurgeSettings = SETTINGS
) -> list[SurgeIncident]:
    """Look for a surge on one product now; returns the incidents raised or added to.

    Idempotent: a group sharing a question with a known incident, or as like its newest
    questions as a question must be to join a group, adds to it (taking the ids again). A
    dismissed incident keeps matching for two windows, so a surge staff dismissed does not
    come straight back. No locks (the beat task runs under
    ``gigcx.locks.exclusive``); pushes the staff alert after commit."""
    now = now or timezone.now()
    product = Product.objects.select_related("brand").filter(pk=product_id).first()
    if product is None:
        return []
    window_start = now - settings.window
    recent = list(
        Question.objects.filter(
            product_id=product_id, created_at__gt=window_start, created_at__lte=now
        ).order_by("-created_at", "-pk")[:RECENT_LIMIT]
    )[::-1]
    if len(recent) < settings.min_count:
        return []
    history = list(
        Question.objects.filter(
            product_id=product_id,
            created_at__gt=window_start - settings.baseline,
            created_at__lte=window_start,
        )
        .order_by("-created_at")
        .only("pk", "created_at", "redacted_body", "body")[:HISTORY_LIMIT]
    )
    span = settings.baseline
    if len(history) == HISTORY_LIMIT:
        span = window_start - history[-1].created_at
    known = [
        incident
        for incident in SurgeIncident.objects.filter(product_id=product_id).exclude(
            status=SurgeIncident.Status.ENDED
        )
        if incident.status != SurgeIncident.Status.DISMISSED
        or now - incident.last_seen_at <= 2 * settings.window
    ]
    # The known incidents' newest questions are measured with the window's, in the same
    # space (a TF-IDF vocabulary is fitted per run), so a group that is one of them adds to
    # it instead of raising it again.
    remembered = {
        incident.pk: incident.question_ids[-REMEMBERED_PER_INCIDENT:] for incident in known
    }
    texts_by_id = {
        q.pk: q.expert_text
        for q in Question.objects.filter(
            pk__in=[pk for ids in remembered.values() for pk in ids]
        ).only("pk", "redacted_body", "body")
    }
    known_texts = [
        texts_by_id[pk] for ids in remembered.values() for pk in ids if pk in texts_by_id
    ]
    vectors, backend = question_vectors([q.expert_text for q in recent + history] + known_texts)
    surges = find_surges(
        recent=vectors[: len(recent)],
        recent_at=[q.created_at for q in recent],
        history=vectors[len(recent) : len(recent) + len(history)],
        history_span=max(span, timedelta(hours=1)),
        settings=settings,
        backend=backend,
    )
    if not surges:
        return []
    similarity = settings.similarity_for(backend)
    centroids: dict[int, np.ndarray] = {}
    offset = len(recent) + len(history)
    for incident in known:
        count = sum(pk in texts_by_id for pk in remembered[incident.pk])
        if count:
            centroids[incident.pk] = _unit(vectors[offset : offset + count].mean(axis=0))
        offset += count
    touched: list[SurgeIncident] = []
    for surge in surges:
        ids = [recent[i].pk for i in surge.members]
        match = None
        for incident in known:
            shares = set(ids) & set(incident.question_ids)
            centroid = centroids.get(incident.pk)
            if shares or (centroid is not None and float(centroid @ surge.centroid) >= similarity):
                match = incident
                break
        if match is not None:
            touched.append(_incident_add(match, ids, surge.count, now))
            continue
        incident = _incident_raise(product, ids, surge, backend, now)
        known.append(incident)
        remembered[incident.pk] = ids
        centroids[incident.pk] = surge.centroid
        touched.append(incident)
    return touched


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _incident_add(incident: SurgeIncident, ids: list[int], count: int, now: datetime) -> Any:
    with transaction.atomic():
        locked = SurgeIncident.objects.select_for_update().get(pk=incident.pk)
        merged = list(dict.fromkeys([*locked.question_ids, *ids]))
        locked.question_ids = merged[-EXAMPLES_KEPT:]
        locked.question_count = max(locked.question_count, len(merged))
        locked.last_seen_at = now
        locked.save(update_fields=["question_ids", "question_count", "last_seen_at"])
        if locked.entry_id is None and locked.status == SurgeIncident.Status.OPEN:
            _draft_entry(locked)
    return locked


def _incident_raise(
    product: Product, ids: list[int], surge: Any, backend: str, now: datetime
) -> SurgeIncident:
    with transaction.atomic():
        incident = SurgeIncident.objects.create(
            brand_id=product.brand_id,
            product=product,
            started_at=surge.first_at or now,
            detected_at=now,
            last_seen_at=now,
            question_ids=ids,
            question_count=surge.count,
            expected_count=surge.expected,
            backend=backend,
        )
        _draft_entry(incident)
        audit_record(
            actor=None,
            action="surge.detected",
            target=incident,
            brand_id=product.brand_id,
            data={
                "product_id": product.pk,
                "questions": surge.count,
                "expected": surge.expected,
                "backend": backend,
            },
        )
        staff = BrandMembership.objects.filter(
            brand_id=product.brand_id, notify_surge_alerts=True
        ).values_list("user_id", flat=True)
        push_after_commit(
            list(staff),
            {
                "type": "surge.detected",
                "incident_id": incident.pk,
                "brand": product.brand.slug,
                "product_id": product.pk,
            },
        )
    logger.info(
        "surge on product %s: %d similar questions (usual %.2f), incident %s",
        product.pk,
        surge.count,
        surge.expected,
        incident.pk,
    )
    return incident


def surge_best_answer(incident: SurgeIncident) -> Question | None:
    """The best expert answer so far among the incident's questions: the resolved one whose
    expert replied most recently resolved (ratings live above routing; the page adds them)."""
    resolved = (
        Question.objects.filter(
            pk__in=incident.question_ids,
            status=Question.Status.RESOLVED,
            messages__role=Message.Role.EXPERT,
        )
        .distinct()
        .order_by("-resolved_at", "-pk")
    )
    return resolved.first()


def _draft_entry(incident: SurgeIncident) -> None:
    """Draft the incident's entry from its best expert answer, when there is one (the
    knowledge base's own "make this an FAQ entry", so one conversation makes one entry)."""
    from routing.services.knowledge_base import knowledge_entry_draft_from_question

    best = surge_best_answer(incident)
    if best is None:
        return
    try:
        entry = knowledge_entry_draft_from_question(question=best, actor=None)
    except ApplicationError:
        return
    incident.entry = entry
    incident.save(update_fields=["entry"])


def surges_detect_all(*, now: datetime | None = None, settings: SurgeSettings = SETTINGS) -> int:
    """Run the detector for every product with at least ``min_count`` questions in the
    window. Returns how many incidents were raised or added to."""
    now = now or timezone.now()
    busy = (
        Question.objects.filter(
            created_at__gt=now - settings.window, created_at__lte=now, product__isnull=False
        )
        .values("product_id")
        .annotate(count=Count("pk"))
        .filter(count__gte=settings.min_count)
        .values_list("product_id", flat=True)
    )
    touched = 0
    for product_id in list(busy):
        try:
            touched += len(surges_detect(product_id=product_id, now=now, settings=settings))
        except Exception:
            logger.exception("surge detection failed for product %s", product_id)
    return touched


def surge_incident_publish(
    *, incident: SurgeIncident, actor: Any, headline: str, answer: str = ""
) -> SurgeIncident:
    """Publish the incident as its product's known-issue notice: the drafted entry (or one
    written from ``answer`` when no expert has answered yet) is published with it. One
    notice per product: a second is a conflict until the first ends."""
    from routing.services.knowledge_base import knowledge_entry_publish
    from routing.services.questions import knowledge_entry_create

    headline = " ".join((headline or "").split())
    errors: dict[str, list[str]] = {}
    if not headline:
        errors["headline"] = [gettext("Say in one line what customers should know.")]
    elif len(headline) > HEADLINE_MAX:
        errors["headline"] = [gettext("Keep it under %(max)s characters.") % {"max": HEADLINE_MAX}]
    if incident.entry_id is None and not (answer or "").strip():
        errors["answer"] = [gettext("No expert has answered yet: write what customers should do.")]
    if errors:
        raise ApplicationError(
            gettext("The notice could not be published; see the fields."), fields=errors
        )
    if incident.status != SurgeIncident.Status.OPEN:
        raise ConflictError(_already(incident.status))
    try:
        with transaction.atomic():
            locked = SurgeIncident.objects.select_for_update().get(pk=incident.pk)
            if locked.status != SurgeIncident.Status.OPEN:
                raise ConflictError(_already(locked.status))
            entry = locked.entry
            if entry is None:
                locked.entry = knowledge_entry_create(
                    brand=locked.brand,
                    question=headline,
                    answer=answer,
                    actor=actor,
                    product_id=locked.product_id,
                    is_published=True,
                )
            elif not entry.is_published or entry.archived_at is not None:
                knowledge_entry_publish(entry=entry, actor=actor)
            locked.status = SurgeIncident.Status.PUBLISHED
            locked.headline = headline
            locked.published_at = timezone.now()
            locked.save(update_fields=["entry", "status", "headline", "published_at"])
            audit_record(
                actor=actor,
                action="surge.notice_published",
                target=locked,
                brand_id=locked.brand_id,
                data={"product_id": locked.product_id, "entry_id": locked.entry_id},
            )
    except IntegrityError as error:
        raise ConflictError(
            gettext("This product already has a known-issue notice in force; end it first.")
        ) from error
    return locked


def surge_incident_dismiss(*, incident: SurgeIncident, actor: Any) -> SurgeIncident:
    """Not a real problem: the alert goes, and the same group does not come straight back."""
    return _status_change(
        incident,
        actor,
        from_status=SurgeIncident.Status.OPEN,
        to_status=SurgeIncident.Status.DISMISSED,
        action="surge.dismissed",
    )


def surge_incident_end(*, incident: SurgeIncident, actor: Any) -> SurgeIncident:
    """The problem is fixed: the notice goes from the ask page and the widget, and its entry
    is unpublished (it describes a problem that is gone)."""
    from routing.services.knowledge_base import knowledge_entry_unpublish

    ended = _status_change(
        incident,
        actor,
        from_status=SurgeIncident.Status.PUBLISHED,
        to_status=SurgeIncident.Status.ENDED,
        action="surge.notice_ended",
    )
    if ended.entry is not None and ended.entry.is_published:
        knowledge_entry_unpublish(entry=ended.entry, actor=actor)
    return ended


def _already(status: str) -> str:
    """Why a surge that has moved on cannot be published, in a whole sentence per status."""
    sentences: dict[str, str] = {
        SurgeIncident.Status.OPEN: gettext("This surge is already detected."),
        SurgeIncident.Status.PUBLISHED: gettext("This surge is already notice published."),
        SurgeIncident.Status.DISMISSED: gettext("This surge is already dismissed."),
        SurgeIncident.Status.ENDED: gettext("This surge is already notice ended."),
    }
    return sentences.get(status, gettext("This surge has moved on."))


def _now(status: str) -> str:
    """Why a surge cannot take this step: its status now, in a whole sentence per status."""
    sentences: dict[str, str] = {
        SurgeIncident.Status.OPEN: gettext("This surge is detected."),
        SurgeIncident.Status.PUBLISHED: gettext("This surge is notice published."),
        SurgeIncident.Status.DISMISSED: gettext("This surge is dismissed."),
        SurgeIncident.Status.ENDED: gettext("This surge is notice ended."),
    }
    return sentences.get(status, gettext("This surge has moved on."))


def _status_change(
    incident: SurgeIncident, actor: Any, *, from_status: str, to_status: str, action: str
) -> SurgeIncident:
    with transaction.atomic():
        changed = SurgeIncident.objects.filter(pk=incident.pk, status=from_status).update(
            status=to_status,
            ended_at=timezone.now() if to_status == SurgeIncident.Status.ENDED else None,
        )
        fresh = SurgeIncident.objects.select_related("entry").get(pk=incident.pk)
        if changed != 1:
            raise ConflictError(_now(fresh.status))
        audit_record(actor=actor, action=action, target=fresh, brand_id=fresh.brand_id)
    return fresh


def known_issue_for(*, product_id: int | None) -> SurgeIncident | None:
    """The product's notice in force with a published entry, or None."""
    if product_id is None:
        return None
    return (
        SurgeIncident.objects.notices()
        .filter(product_id=product_id, entry__is_published=True, entry__archived_at=None)
        .select_related("entry", "product")
        .first()
    )


def known_issues_for_brand(*, brand: Any) -> list[SurgeIncident]:
    """The brand's notices in force (each with a published entry), for the ask page and the
    widget: public, as the entries they quote are."""
    return list(
        SurgeIncident.objects.notices()
        .filter(
            brand=brand,
            brand__is_active=True,
            product__is_archived=False,
            entry__is_published=True,
            entry__archived_at=None,
        )
        .select_related("entry", "product")
        .order_by("product__name")
    )


def surge_examples(incident: SurgeIncident, limit: int = 10) -> list[Question]:
    """The incident's newest grouped questions (redacted text is what staff read)."""
    return list(
        Question.objects.filter(pk__in=incident.question_ids).order_by("-created_at")[:limit]
    )


def surge_answered_by(incident: SurgeIncident) -> list[str]:
    """Experts who resolved the incident's questions (for the staff page)."""
    return sorted(
        {
            a.expert.display_name
            for a in Assignment.objects.filter(
                question_id__in=incident.question_ids, status=Assignment.Status.RESOLVED
            ).select_related("expert__user__expert_profile")
        }
    )
