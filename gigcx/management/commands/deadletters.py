"""List dead-lettered tasks, and re-enqueue or discard one."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gigcx.deadletters import dead_letter_discard, dead_letter_retry
from gigcx.exceptions import NotFoundError
from gigcx.models import DeadLetter


class Command(BaseCommand):
    help = (
        "List tasks that will not run again by themselves (poison messages, exhausted "
        "retries); --retry ID re-enqueues one under a new task id, --discard ID closes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--retry", type=int, metavar="ID", help="re-enqueue this one")
        action.add_argument("--discard", type=int, metavar="ID", help="close it without running")
        parser.add_argument("--all", action="store_true", help="list closed ones too")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["retry"] is not None:
                new_id = dead_letter_retry(dead_letter_id=options["retry"])
                self.stdout.write(f"Re-enqueued dead letter {options['retry']} as task {new_id}.")
                return
            if options["discard"] is not None:
                dead_letter_discard(dead_letter_id=options["discard"])
                self.stdout.write(f"Discarded dead letter {options['discard']}.")
                return
        except NotFoundError as exc:
            raise CommandError(str(exc)) from None
        letters = DeadLetter.objects.all()
        if not options["all"]:
            letters = letters.filter(resolved_at__isnull=True)
        count = 0
        for letter in letters:
            count += 1
            state = letter.resolution or "open"
            self.stdout.write(
                f"{letter.pk}  {letter.created_at:%Y-%m-%d %H:%M:%S}  {letter.name}"
                f"({json.dumps(letter.args)}, {json.dumps(letter.kwargs)})  {letter.reason} "
                f"after {letter.attempts} attempt(s)  [{state}]\n    {letter.last_error}"
            )
        self.stdout.write(f"{count} dead letter(s).")
