"""Print the current two-factor code of the demo accounts (marketplace.demo.DEMO_TOTP_SECRET)."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import app_settings
from django.core.management.base import BaseCommand

from gigcx.mfa import totp_code
from marketplace import demo


class Command(BaseCommand):
    help = (
        "Print the code the demo owner's authenticator app would show now (the demo secret "
        "is public; real accounts' secrets are never printed)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = time.time()
        left = app_settings.TOTP_PERIOD - int(now) % app_settings.TOTP_PERIOD
        self.stdout.write(f"{totp_code(demo.DEMO_TOTP_SECRET, at=now)}  (valid for {left} s more)")
