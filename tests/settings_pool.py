"""Settings for tests/pool_probe.py: the real settings, no eager shortcuts, small pool."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_DEBUG", "false")

from gigcx.settings import *  # noqa: E402,F403

ALLOWED_HOSTS = ["testserver"]
SECURE_SSL_REDIRECT = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
