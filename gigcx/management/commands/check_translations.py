"""Fail when a string people read has no German translation, or a catalog is stale.

It collects the marked strings afresh (``makemessages``, the same call as ``make messages``)
into a scratch copy of each catalog, then fails on:

- a string with no translation, or a fuzzy one (a guess gettext made, never reviewed);
- a committed ``.po`` that differs from the fresh one (run ``make messages`` and commit);
- a committed ``.mo`` that differs from its ``.po`` (the same);
- a translation that drops or adds a placeholder (``%(name)s``, ``{name}``, ``%s``).

The committed catalogs are left as they were. Needs GNU gettext (``xgettext``), as
``makemessages`` does.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DOMAINS = ("django", "djangojs")
IGNORE = [".venv", "var", "tests", "bench", "static/vendor", "docs"]
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdfr]|%[sdfr]|\{[a-z_0-9]*\}", re.IGNORECASE)


def _pairs(catalog: Any) -> dict[tuple[str, str], tuple[str, ...]]:
    """(context, msgid) -> translations, of every live entry."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for entry in catalog:
        if entry.obsolete or not entry.msgid:
            continue
        if entry.msgid_plural:
            values = tuple(v for _k, v in sorted(entry.msgstr_plural.items()))
        else:
            values = (entry.msgstr,)
        found[(entry.msgctxt or "", entry.msgid)] = values
    return found


class Command(BaseCommand):
    help = "Fail on an untranslated or fuzzy German string, or a stale .po/.mo catalog."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--locale", default="de")

    def handle(self, *args: Any, **options: Any) -> None:
        locale = options["locale"]
        folder = Path(settings.LOCALE_PATHS[0]) / locale / "LC_MESSAGES"
        problems: list[str] = []
        for domain in DOMAINS:
            po_path = folder / f"{domain}.po"
            committed = polib.pofile(str(po_path)) if po_path.exists() else None
            fresh = self._fresh(po_path, locale, domain)
            if fresh is None:
                continue  # the domain has no marked strings at all
            if committed is None:
                problems.append(f"{po_path} is missing: run `make messages`.")
                continue
            for entry in fresh:
                if entry.obsolete or not entry.msgid:
                    continue
                where = f"{domain}: {entry.msgid[:70]!r}"
                if "fuzzy" in entry.flags:
                    problems.append(f"fuzzy (check and drop the flag) {where}")
                elif not entry.translated():
                    problems.append(f"untranslated {where}")
                else:
                    if entry.msgid_plural:
                        # every form names what the plural names; the singular may leave out
                        # the count ("one question" for "%(count)d questions")
                        wanted = set(PLACEHOLDER.findall(entry.msgid_plural))
                        for index, value in entry.msgstr_plural.items():
                            found = set(PLACEHOLDER.findall(value))
                            if not found <= wanted or (int(index) > 0 and found != wanted):
                                problems.append(f"placeholders differ {where}: {value[:70]!r}")
                    elif sorted(PLACEHOLDER.findall(entry.msgstr)) != sorted(
                        PLACEHOLDER.findall(entry.msgid)
                    ):
                        problems.append(f"placeholders differ {where}: {entry.msgstr[:70]!r}")
            if _pairs(fresh) != _pairs(committed):
                problems.append(f"{po_path} is stale: run `make messages` and commit the catalogs.")
            mo_path = po_path.with_suffix(".mo")
            if not mo_path.exists():
                problems.append(f"{mo_path} is missing: run `make messages`.")
            elif _pairs(polib.mofile(str(mo_path))) != {
                key: value for key, value in _pairs(committed).items() if any(value)
            }:
                problems.append(f"{mo_path} does not match its .po: run `make messages`.")
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"{len(problems)} translation problem(s) in locale {locale!r}.")
        self.stdout.write(f"Translations for {locale!r} are complete and current.")

    def _fresh(self, po_path: Path, locale: str, domain: str) -> Any:
        """The catalog makemessages makes now, from the committed one; the committed file is
        put back untouched."""
        backup = None
        if po_path.exists():
            backup = Path(tempfile.mkdtemp()) / po_path.name
            shutil.copy2(po_path, backup)
        try:
            call_command(
                "makemessages",
                locale=[locale],
                domain=domain,
                no_location=True,
                no_wrap=True,
                ignore_patterns=IGNORE,
                verbosity=0,
            )
            if not po_path.exists():
                return None
            return polib.pofile(str(po_path))
        finally:
            if backup is not None:
                shutil.copy2(backup, po_path)
                shutil.rmtree(backup.parent, ignore_errors=True)
            elif po_path.exists():
                po_path.unlink()
