"""Deploy checks of our own (``manage.py check --deploy``).

Redis holds the task queue: if it may evict keys under memory pressure, or forgets
everything on restart, queued work is lost silently. The database-owned deadlines recover it,
but late; a deployment should not rely on that by accident.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"


@register(Tags.security)
def email_leaves_the_building(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """With DEBUG off, the console backend would print private-link tokens, invitation and
    password-reset links into the logs instead of mailing them. It is the default only for
    development; production must choose it on purpose (EMAIL_BACKEND set in the environment,
    or GIGCX_ALLOW_CONSOLE_EMAIL=true), or configure a real backend."""
    if settings.DEBUG or settings.EMAIL_BACKEND != CONSOLE_EMAIL:
        return []
    if getattr(settings, "GIGCX_EMAIL_BACKEND_CHOSEN", False):
        return []
    return [
        Error(
            "DEBUG is off and email goes to the console backend by default: private links, "
            "invitations and password resets would be written to the logs.",
            hint="Set EMAIL_BACKEND (e.g. django.core.mail.backends.smtp.EmailBackend) and "
            "EMAIL_HOST, or set GIGCX_ALLOW_CONSOLE_EMAIL=true to keep the console on purpose.",
            id="gigcx.E001",
        )
    ]


@register(Tags.caches, deploy=True)
def redis_keeps_what_it_is_given(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return []
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        config = client.config_get("maxmemory-policy")
        config.update(client.config_get("appendonly"))
        config.update(client.config_get("save"))
    except Exception as exc:
        return [
            Warning(
                f"Could not read the Redis configuration at REDIS_URL ({exc.__class__.__name__}).",
                hint="Make sure Redis is reachable and allows CONFIG GET, then check again.",
                id="gigcx.W003",
            )
        ]
    warnings = []
    policy = config.get("maxmemory-policy", "")
    if policy != "noeviction":
        warnings.append(
            Warning(
                f"Redis maxmemory-policy is {policy!r}: under memory pressure it may evict "
                "queued tasks.",
                hint="Set maxmemory-policy noeviction on the Redis that holds the queue.",
                id="gigcx.W001",
            )
        )
    if config.get("appendonly") != "yes" and not config.get("save"):
        warnings.append(
            Warning(
                "Redis keeps nothing on disk (appendonly no, save empty): a restart loses "
                "every queued task.",
                hint="Turn on AOF (appendonly yes, appendfsync everysec) or RDB snapshots.",
                id="gigcx.W002",
            )
        )
    return warnings
