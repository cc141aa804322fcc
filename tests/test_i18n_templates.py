"""Every word a template shows people is marked for translation.

`make check-translations` fails on a marked string with no German; this fails on a string
that was never marked. Each template under templates/ is read with Django's own lexer: text
outside ``{% translate %}`` / ``{% blocktranslate %}``, comments, ``<script>`` and ``<style>``
is parsed as HTML, and every text node, and every attribute people read (``title``, ``alt``,
``placeholder``, ``aria-label``, a button's ``value``), must hold no words once variables,
tags, entities, numbers and punctuation are taken out. Names that are the same in every
language (GigCX, API, CSV...) are allowed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
# Words that read the same in English and German, or are names.
SAME_IN_EVERY_LANGUAGE = {
    "GigCX",
    "API",
    "APIs",
    "CSV",
    "FAQ",
    "SLA",
    "IBAN",
    "BIC",
    "URL",
    "ID",
    "OK",
    "JSON",
    "OpenAPI",
    "Stripe",
    "Webhook",
    "Webhooks",
    "HTTP",
    "HTTPS",
    "TOTP",
    "PDF",
    "E-Mail",
    "Email",
    "GET",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "Swagger",
    "ReDoc",
    "UTC",
    "AI",
    "KI",
    "SEPA",
    "WebRTC",
    "Chromium",
    "Tab",
    "Enter",
    "Esc",
    "Status",
    "Team",
    "Name",
    "Login",
    "Logout",
    "Hub",
    "Online",
    "Offline",
    "Start",
    "Export",
    "Import",
    "Details",
    "Chat",
    "Support",
    "Feedback",
    "Code",
    "Token",
    "Tags",
    "Tag",
    "Filter",
    "Link",
    "Links",
    "Produkt",
    "Experte",
    "Experten",
    "Audit",
    "Widget",
    "Surge",
    "Surges",
    "Webhook-URL",
    "CX",
    "EUR",
    "USD",
    "GBP",
    "Connect",
    "acct",
    "G",
    "A",
    "E",
    "Q",
    "N",
    "J",
    "K",
    "D",
    "Ctrl",
    "Cmd",
    "Alt",
    "Shift",
}
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description"}
MARKER = " "
WORD = re.compile(r"[^\W\d_]{2,}(?:[-'][^\W\d_]+)*")
TRANSLATE_BLOCKS = ("blocktranslate", "blocktrans")
SKIP_BLOCKS = {"comment": "endcomment", "verbatim": "endverbatim"}


def untranslated_text(source: str) -> str:
    """The template's literal text outside translation blocks, variables and tags replaced
    by a marker."""
    out: list[str] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if closing is not None:
                if name == closing:
                    closing = None
                continue
            if name in TRANSLATE_BLOCKS:
                closing = "end" + name
            elif name in SKIP_BLOCKS:
                closing = SKIP_BLOCKS[name]
            out.append(MARKER)
        elif closing is not None:
            continue
        elif token.token_type == TokenType.TEXT:
            out.append(token.contents)
        elif token.token_type == TokenType.VAR:
            out.append(MARKER)
    return "".join(out)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and name in READ_ATTRIBUTES:
                self.found.append(value)
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.found.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


def words_left(text: str) -> list[str]:
    text = text.replace(MARKER, " ")
    return [w for w in WORD.findall(text) if w not in SAME_IN_EVERY_LANGUAGE]


def findings(path: Path) -> list[str]:
    literal = untranslated_text(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        chunks = [literal]
    else:
        reader = _Reader()
        reader.feed(literal)
        reader.close()
        chunks = reader.found
    problems = []
    for chunk in chunks:
        left = words_left(chunk)
        if left:
            problems.append(" ".join(chunk.split())[:90])
    return problems


def all_templates() -> list[Path]:
    return sorted(
        p
        for p in TEMPLATES.rglob("*")
        if p.suffix in (".html", ".txt") and "drf_spectacular" not in p.parts
    )


def test_the_checker_finds_unmarked_text_and_accepts_marked_text() -> None:
    assert (
        untranslated_text('{% translate "Hello" %} <b>{{ name }}</b>')
        == f"{MARKER} <b>{MARKER}</b>"
    )
    reader = _Reader()
    reader.feed(
        '<p>Hello there</p><input placeholder="Search questions"><script>var a="x y";</script>'
    )
    assert [c for c in reader.found if words_left(c)] == ["Hello there", "Search questions"]
    blocked = untranslated_text("{% blocktranslate %}Hi {{ x }}{% endblocktranslate %} GigCX · 3")
    assert words_left(blocked) == []


@pytest.mark.parametrize("path", all_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_word_of_the_template_is_marked_for_translation(path: Path) -> None:
    problems = findings(path)
    assert not problems, f"{path.relative_to(ROOT)} shows unmarked text:\n" + "\n".join(problems)
