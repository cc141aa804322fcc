"""Configuration invariants: env helpers, Celery reliability settings, deploy checks, schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from gigcx.celery import app
from gigcx.env import env_bool, env_int, env_list, env_secret

ROOT = Path(__file__).resolve().parent.parent


def test_env_helpers_fail_loudly_on_bad_values(monkeypatch: Any, tmp_path: Path) -> None:
    monkeypatch.setenv("X_BOOL", "ture")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "12abc")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("X_INT", 5, minimum=1)
    monkeypatch.setenv("X_LIST", "a, b,,c ")
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret_file))
    assert env_secret("X_SECRET") == "from-a-file"
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("X_SECRET")


def test_celery_is_configured_for_at_least_once_delivery() -> None:
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is True
    # the slowest task ends well inside the visibility timeout (celery/celery#5935)
    assert conf.task_time_limit < settings.CELERY_VISIBILITY_TIMEOUT
    assert set(conf.task_routes) >= {"routing.*", "payments.*"}


@pytest.fixture(autouse=True)
def _tasks_loaded() -> None:
    app.loader.import_default_modules()  # what a worker does at start-up


def test_every_task_has_an_explicit_stable_name() -> None:
    ours = [
        name
        for name in app.tasks
        if name.split(".")[0] in {"gigcx", "marketplace", "routing", "payments"}
    ]
    assert ours, "no project tasks registered"
    for name in ours:
        task = app.tasks[name]
        module_default = f"{task.__module__}.{task.__name__}"
        assert name != module_default, f"{name} uses the implicit module path as its name"


def test_beat_schedule_names_only_registered_tasks() -> None:
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def _run_manage(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(env_overrides)
    return subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "gigcx.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p" * 20 + "r0duct10n-l1ke-s3cret-" + "k" * 30,
    "DJANGO_ALLOWED_HOSTS": "gigcx.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://gigcx.example.com",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def test_production_refuses_the_console_email_backend_unless_chosen() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_BACKEND"}
    refused = _run_manage(env, "check")
    assert refused.returncode != 0
    assert "gigcx.E001" in refused.stderr

    for chosen in (
        {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
        {"GIGCX_ALLOW_CONSOLE_EMAIL": "true"},
    ):
        result = _run_manage({**env, **chosen}, "check")
        assert result.returncode == 0, result.stderr

    # development (make run) keeps the console by default
    development = _run_manage(
        {"DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "gigcx.settings"}, "check"
    )
    assert development.returncode == 0, development.stderr


def test_deploy_check_is_clean_with_production_settings() -> None:
    result = _run_manage(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {**PRODUCTION_ENV}
    del env["DJANGO_SECRET_KEY"]
    result = _run_manage(env, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_a_typo_in_a_boolean_stops_start_up() -> None:
    result = _run_manage({**PRODUCTION_ENV, "DJANGO_DEBUG": "ture"}, "check")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='ture' is not a boolean" in result.stderr


def test_production_security_settings() -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS, s.SECURE_HSTS_SECONDS > 0,"
        " s.REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'],"
        " 'rest_framework.authentication.BasicAuthentication'"
        " in s.REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES'],"
        " s.PASSWORD_HASHERS[0])"
    )
    result = _run_manage(PRODUCTION_ENV, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True True True True DENY True ['rest_framework.permissions.IsAuthenticated'] False "
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )


def test_redis_url_switches_broker_cache_and_channel_layer() -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.CELERY_BROKER_URL, s.CACHES['default']['LOCATION'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_BROKER_TRANSPORT_OPTIONS)"
    )
    result = _run_manage(
        {**PRODUCTION_ENV, "REDIS_URL": "redis://cache.internal:6379/0"},
        "shell",
        "--no-imports",
        "-c",
        code,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 3)[:3] == [
        "redis://cache.internal:6379/0",
        "redis://cache.internal:6379/1",  # cache kept apart from the queues
        "channels_redis.core.RedisChannelLayer",
    ]
    assert "'visibility_timeout': 600" in result.stdout
    # a crashed worker's messages are looked for every 10 s, not every 100 s (kombu default)
    assert "'unacked_restore_interval': 10, 'unacked_restore_throttle': 1" in result.stdout


def test_only_fault_injection_tests_may_shorten_the_visibility_timeout() -> None:
    env = {**PRODUCTION_ENV, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    code = "from django.conf import settings as s; print(s.CELERY_BROKER_TRANSPORT_OPTIONS)"
    refused = _run_manage({**env, "CELERY_VISIBILITY_TIMEOUT": "5"}, "shell", "-c", code)
    assert refused.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT=5 must be at least 60" in refused.stderr
    allowed = _run_manage(
        {**env, "CELERY_VISIBILITY_TIMEOUT": "5", "GIGCX_FAULT_TESTS": "true"}, "shell", "-c", code
    )
    assert allowed.returncode == 0, allowed.stderr
    assert "'visibility_timeout': 5, 'unacked_restore_interval': 1" in allowed.stdout


def test_openapi_schema_generates_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/brands/{slug}/products" in text
    assert "X-Session-Token" in text
    assert "Api-Key" in text


@pytest.mark.django_db
def test_api_docs_are_served_without_a_cdn(client: Any) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    for cdn in ("cdn.", "unpkg", "jsdelivr"):
        assert cdn not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert client.get("/api/schema/").status_code == 200


def test_a_fresh_clone_migrates_on_the_embedded_default(tmp_path: Path) -> None:
    # given: no var folder yet, as on a fresh clone, and nothing configured
    var = tmp_path / "var-of-a-fresh-clone"
    env = {"DJANGO_DEBUG": "true", "GIGCX_VAR_DIR": str(var)}
    # when
    result = _run_manage(env, "migrate", "--noinput")
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert (var / "gigcx.sqlite3").is_file()


@pytest.mark.django_db(transaction=True)  # beat's scheduler manages its own connection
def test_the_frequent_sweeps_expire_rather_than_pile_up() -> None:
    """Beat's database scheduler carries the expiry to every sweep it sends."""
    from django_celery_beat.schedulers import DatabaseScheduler

    scheduler = DatabaseScheduler(app=app, lazy=True)
    scheduler.setup_schedule()
    entries = scheduler.all_as_schedule()

    assert entries["routing.sweep"].options["expires"] == 10
    assert entries["gigcx.sweep_outbox"].options["expires"] == 30


@pytest.mark.django_db
@pytest.mark.usefixtures("require_postgres")
def test_migrations_run_without_the_statement_timeout_and_restore_it() -> None:
    """A backfill over a large table (routing 0012 links a million questions in about a
    minute) must not be cancelled by the 30 s limit meant for requests."""
    from django.db import connection
    from django.db.models.signals import post_migrate, pre_migrate

    from gigcx.apps import migrations_without_statement_timeout, statement_timeout_restored

    def shown() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return str(cursor.fetchone()[0])

    configured = shown()
    assert configured not in ("0", "")  # the site's limit holds outside migrations
    # what migrate sends before and after it runs the migrations
    uids = {
        signal: [key[0][0] for key in signal.receivers] for signal in (pre_migrate, post_migrate)
    }
    assert "gigcx-migrate-st" in uids[pre_migrate]
    assert "gigcx-migrated-st" in uids[post_migrate]
    migrations_without_statement_timeout(using="default")
    assert shown() == "0"
    statement_timeout_restored(using="default")
    assert shown() == configured


def test_the_web_server_loads_the_text_model_in_the_background(settings: Any) -> None:
    from gigcx.asgi import text_models_load_in_background
    from routing.text import embeddings

    settings.GIGCX_WARM_UP_WEB = False
    assert text_models_load_in_background() is None
    embeddings._onnx_encoder.cache_clear()
    settings.GIGCX_WARM_UP_WEB = True
    thread = text_models_load_in_background()
    assert thread is not None and thread.daemon  # noqa: PT018
    thread.join(timeout=60)
    assert not thread.is_alive()
    if embeddings.text_backend() == "onnx":  # the default install: the model is loaded now
        assert embeddings._onnx_encoder.cache_info().currsize == 1
