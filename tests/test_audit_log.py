"""The audit log (issue 11): append-only on PostgreSQL, every staff or money service writes a
line in words, and a brand's staff browse and export their brand's lines (page, CSV, API),
filtered by person, action and days; nobody else sees them."""

from __future__ import annotations

import ast
import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from gigcx.audit import audit_record
from gigcx.models import AUDIT_WORDS, AuditEvent, User
from routing import services as routing_services

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PAGE = "/brands/acme/manage/audit/"
CSV = "/brands/acme/manage/audit/export.csv"
API = "/api/v1/brands/acme/audit"


# ---------------------------------------------------------------------------------------
# Append-only on PostgreSQL
# ---------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: AuditEvent.objects.filter(pk=e.pk).update(reason="nothing happened"),
        lambda e: AuditEvent.objects.filter(pk=e.pk).delete(),
        lambda e: connection.cursor().execute("DELETE FROM gigcx_auditevent"),
        lambda e: connection.cursor().execute(
            "UPDATE gigcx_auditevent SET action = 'brand.created', actor_id = NULL"
        ),
        lambda e: connection.cursor().execute("UPDATE gigcx_auditevent SET brand_id = NULL"),
    ],
    ids=["orm-update", "orm-delete", "raw-delete", "raw-update-with-actor", "raw-move-brand"],
)
def test_audit_lines_cannot_be_changed_or_deleted(
    require_postgres: None, cast: Any, tamper: Any
) -> None:
    event = audit_record(actor=cast.maya, action="product.updated", brand_id=cast.acme.pk)

    def attempt() -> None:
        with transaction.atomic():
            tamper(event)

    with pytest.raises((IntegrityError, DatabaseError), match="append-only"):
        attempt()
    event.refresh_from_db()
    assert (event.action, event.actor_id, event.brand_id, event.reason) == (
        "product.updated",
        cast.maya.pk,
        cast.acme.pk,
        "",
    )


@pytest.mark.django_db(transaction=True)
def test_deleting_a_person_keeps_their_lines_without_the_link(cast: Any) -> None:
    # On PostgreSQL the trigger lets exactly this update through (actor_id to NULL, all else
    # unchanged); on SQLite there is no trigger. Both must keep the line.
    person = User.objects.create_user(email="leaver@example.com", password="a-long-pass-42")
    event = audit_record(actor=person, action="membership.added", brand_id=cast.acme.pk)

    person.delete()

    event.refresh_from_db()
    assert event.actor_id is None
    assert (event.action, event.brand_id) == ("membership.added", cast.acme.pk)


# ---------------------------------------------------------------------------------------
# Every staff or money action writes a line, in words
# ---------------------------------------------------------------------------------------

SERVICE_MODULES = sorted(
    [
        *ROOT.glob("marketplace/services/*.py"),
        *ROOT.glob("routing/services/*.py"),
        *ROOT.glob("quality/services/*.py"),
        *ROOT.glob("payments/services/*.py"),
        ROOT / "privacy/services.py",
        ROOT / "integrations/services.py",
        ROOT / "voice/services.py",
    ]
)
# Money services that act without a person (``actor``) but move or settle money.
MONEY_SERVICES = {
    "payout_request",
    "payout_send",
    "payout_record_outcome",
    "payouts_send_due",
    "stripe_event_handle",
    "earning_apply_rating",
    "reconcile_run",
}
# Services that take an actor (or move money) yet write no line themselves, and why.
NOT_AUDITED = {
    # the person's own settings and reads, not a staff or money action
    "expert_profile_upsert": "the expert's own profile",
    "expert_profile_update": "the expert's own profile",
    "quiz_next_attempt_at": "a read",
    "application_prefill": "a read",
    "copilot_access": "a read",
    "copilot_for": "a read",
    "copilot_draft_validate": "a read",
    "presence_for": "a read",
    "presence_window_end": "a read",
    "presence_set": "the expert's own availability",
    "presence_heartbeat": "the expert's own availability",
    "assignment_decline": "an expert passing on an offer; the offer row is the record",
    "participant_role": "a read",
    "rating_create": "a customer's rating; the rating row and question.rated are the record",
    "account_export": "the customer's own download",
    "account_erase_refusal": "a read",
    "account_erase_validate": "a read",
    "knowledge_draft_access": "a read",
}


def _functions() -> dict[str, tuple[ast.FunctionDef, str]]:
    found: dict[str, tuple[ast.FunctionDef, str]] = {}
    for path in SERVICE_MODULES:
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = (node, str(path.relative_to(ROOT)))
    return found


def _calls(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names


def test_every_staff_or_money_service_writes_an_audit_line() -> None:
    functions = _functions()
    audited: dict[str, bool] = {}

    def reaches_audit(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name in audited:
            return audited[name]
        if name not in functions or name in seen:
            return False
        calls = _calls(functions[name][0])
        result = bool({"audit_record", "_security_event"} & calls) or any(
            reaches_audit(called, seen | {name}) for called in calls
        )
        audited[name] = result
        return result

    staff_or_money = [
        name
        for name, (node, _) in functions.items()
        if not name.startswith("_")
        and (
            "actor" in {a.arg for a in node.args.kwonlyargs + node.args.args}
            or name in MONEY_SERVICES
        )
    ]
    assert len(staff_or_money) > 60, staff_or_money  # the walk really found the services
    missing = [
        f"{functions[name][1]}: {name}"
        for name in staff_or_money
        if name not in NOT_AUDITED and not reaches_audit(name)
    ]
    assert missing == [], "these services change things without an audit line"
    assert set(NOT_AUDITED) <= set(functions), "an exemption names a service that is gone"


def test_every_audited_action_has_words() -> None:
    actions: set[str] = set()
    for path in [*SERVICE_MODULES, *ROOT.glob("*/*.py")]:
        for call in ast.walk(ast.parse(path.read_text())):
            if not isinstance(call, ast.Call):
                continue
            name = getattr(call.func, "id", getattr(call.func, "attr", ""))
            if name == "audit_record":
                for keyword in call.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        actions.add(keyword.value.value)
            elif name in ("_status_change", "_security_event"):
                for arg in call.args:
                    if isinstance(arg, ast.Constant) and "." in str(arg.value):
                        actions.add(arg.value)
    assert len(actions) > 60
    assert sorted(actions - set(AUDIT_WORDS)) == []


def test_taking_a_tag_off_a_question_is_audited(cast: Any, ask: Any) -> None:
    question = ask()
    tag = routing_services.question_tag_add(question=question, name="sizing", actor=cast.maya)
    routing_services.question_tag_remove(question=question, tag_id=tag.pk, actor=cast.maya)
    event = AuditEvent.objects.get(action="question.untagged")
    assert (event.actor, event.brand_id, event.data) == (cast.maya, cast.acme.pk, {"tag": "sizing"})
    assert event.summary == "took a tag off a question"


# ---------------------------------------------------------------------------------------
# Browse and export
# ---------------------------------------------------------------------------------------


@pytest.fixture
def log(cast: Any) -> dict[str, AuditEvent]:
    """A few lines of Acme's log, one of Northwind's and a sign-in that belongs to no brand."""
    # Written 40 days ago (the table is append-only: the date cannot be moved afterwards).
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=40)):
        old = audit_record(actor=cast.sam, action="rate_card.changed", brand_id=cast.acme.pk)
    return {
        "old": old,
        "held": audit_record(
            actor=cast.maya,
            action="earning.held",
            brand_id=cast.acme.pk,
            reason='=HYPERLINK("http://evil.example","click")',
        ),
        "paid": audit_record(actor=None, action="payout.paid", brand_id=cast.acme.pk),
        "theirs": audit_record(
            actor=cast.nora, action="payout_batch.run", brand_id=cast.northwind.pk
        ),
        "login": audit_record(actor=cast.maya, action="auth.login", ip="203.0.113.9"),
    }


def table(page: Any) -> str:
    """The log's table, without the filter menus (which name every action in words)."""
    text = page.content.decode()
    return text[text.index('id="audit-table"') : text.index("</table>")]


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_browse_their_brands_log_in_words(cast: Any, log: dict[str, AuditEvent]) -> None:
    for person in (cast.maya, cast.quinn, cast.sam):
        page = signed_in(person).get(PAGE)
        assert page.status_code == 200, person
        text = table(page)
        assert "held an earning" in text
        assert "recorded a payout as paid" in text
        assert "changed the rate card" in text
        assert "ran a payout batch" not in text  # Northwind's
        assert "signed in" not in text  # belongs to no brand: site admins only


def test_the_log_filters_by_person_action_and_days(cast: Any, log: dict[str, AuditEvent]) -> None:
    maya = signed_in(cast.maya)

    def shown(**params: str) -> set[str]:
        rows = maya.get(API, params).json()["results"]
        return {row["action"] for row in rows}

    everything = {"rate_card.changed", "earning.held", "payout.paid"}
    assert everything <= shown()
    assert shown(actor=str(cast.maya.pk)) == {"earning.held"}
    assert shown(actor="maya@acme.example") == {"earning.held"}
    assert shown(actor="system") >= {"payout.paid"}
    assert "earning.held" not in shown(actor="system")
    assert shown(action="payout.paid") == {"payout.paid"}
    assert "payout.paid" in shown(action="payout.")
    assert "earning.held" not in shown(action="payout.")
    today = timezone.localdate().isoformat()
    assert "rate_card.changed" not in shown(since=today)
    old_day = (timezone.localdate() - timedelta(days=40)).isoformat()
    assert shown(since=old_day, until=old_day) == {"rate_card.changed"}
    # the page takes the same filters
    page = table(maya.get(PAGE, {"action": "payout.paid"}))
    assert "recorded a payout as paid" in page
    assert "held an earning" not in page


def test_the_api_is_paginated_and_says_what_is_wrong_with_a_filter(
    cast: Any, log: dict[str, AuditEvent]
) -> None:
    maya = signed_in(cast.maya)
    body = maya.get(API, {"page_size": 1}).json()
    assert body["count"] >= 3
    assert len(body["results"]) == 1
    assert body["next"]
    row = body["results"][0]
    assert {"id", "created_at", "actor", "action", "summary", "reason", "data"} <= set(row)

    for params, field in (
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-12-02", "until": "2026-12-01"}, "until"),
        ({"action": "DROP TABLE"}, "action"),
        ({"actor": "maya"}, "actor"),
    ):
        response = maya.get(API, params)
        assert response.status_code == 400, params
        assert field in response.json()["error"]["fields"], response.json()
    page = maya.get(PAGE, {"since": "yesterday"})
    assert page.status_code == 400
    assert "is not a day; use YYYY-MM-DD" in page.content.decode()


def test_the_csv_export_has_the_same_filters_and_no_formulas(
    cast: Any, log: dict[str, AuditEvent]
) -> None:
    response = signed_in(cast.quinn).get(CSV, {"action": "earning.held"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:6] == ["id", "when", "actor_id", "actor", "action", "what"]
    [line] = rows[1:]
    assert line[4:6] == ["earning.held", "held an earning"]
    reason = line[rows[0].index("reason")]
    assert reason.startswith("'=HYPERLINK")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert signed_in(cast.quinn).get(CSV, {"since": "nope"}).status_code == 400


def test_the_csv_export_is_written_in_the_readers_language(
    cast: Any, log: dict[str, AuditEvent]
) -> None:
    response = signed_in(cast.quinn).get(CSV, {"action": "earning.held"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Language"] == "de"
    # the body streams after the request is done: still German
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    [line] = rows[1:]
    assert line[4:6] == ["earning.held", "hat eine Einnahme zurückgehalten"]  # codes stay


@pytest.mark.parametrize("who", ["nora", "ada", "carol"])
def test_nobody_but_the_brands_staff_reads_its_log(
    cast: Any, log: dict[str, AuditEvent], who: str
) -> None:
    client = signed_in(getattr(cast, who))
    assert client.get(PAGE).status_code == 404
    assert client.get(CSV).status_code == 404
    assert client.get(API).status_code == 404
    assert client.get("/api/v1/audit").status_code == 403
    anonymous = Client()
    assert anonymous.get(PAGE).status_code == 302
    assert anonymous.get(API).status_code in (401, 403)


def test_site_admins_read_every_line_including_sign_ins(
    cast: Any, log: dict[str, AuditEvent]
) -> None:
    from gigcx.accounts import user_totp_enrol
    from marketplace import demo

    root = User.objects.create_superuser(email="root@gigcx.example", password="a-long-pass-42")
    user_totp_enrol(user=root, secret=demo.DEMO_TOTP_SECRET)
    admin = signed_in(root)

    rows = admin.get("/api/v1/audit", {"action": "auth.login"}).json()["results"]
    assert ("auth.login", "203.0.113.9", None) in [
        (r["action"], r["ip"], r["brand_id"]) for r in rows
    ]
    actions = {
        r["action"] for r in admin.get("/api/v1/audit", {"page_size": 100}).json()["results"]
    }
    assert {"payout_batch.run", "earning.held", "auth.login"} <= actions
    staff_rows = signed_in(cast.maya).get(API, {"page_size": 100}).json()["results"]
    assert "auth.login" not in {r["action"] for r in staff_rows}
