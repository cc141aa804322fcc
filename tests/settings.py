"""Test settings: the real settings plus a small override (STYLE 26)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_DEBUG", "false")

from gigcx.settings import *  # noqa: E402,F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
GIGCX_ALLOW_DEMO_DATA = True
# Unit tests run tasks in-process; tests marked `worker` start a real worker instead.
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The sessions of a Redis deployment (read from the cache, written through), on SQLite too,
# so pinned query counts are the same in both runs (no session row read once cached).
SESSION_ENGINE = "gigcx.sessions"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "anon": "1000/min",
        "user": "1000/min",
        "questions": "1000/min",
        "applications": "1000/min",
        "quiz_attempts": "1000/min",
        "data_export": "1000/min",
        "account_delete": "1000/min",
    },
}
GIGCX_FORM_RATE_LIMITS = {scope: "1000/min" for scope in GIGCX_FORM_RATE_LIMITS}  # noqa: F405

# WhiteNoise warns about a missing STATIC_ROOT; tests serve from the finders instead.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Race tests release 50 threads at once, each with its own connection from the pool.
if "pool" in DATABASES["default"].get("OPTIONS", {}):  # noqa: F405
    DATABASES["default"]["OPTIONS"]["pool"].update(max_size=60, timeout=30)  # noqa: F405

# Test servers need no head start on the text model (tests load it when they use it).
GIGCX_WARM_UP_WEB = False
