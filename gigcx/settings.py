"""GigCX settings: one module, driven by the environment.

Nothing set    -> the embedded default: SQLite and a broker that needs no server, for a laptop.
DATABASE_URL   -> PostgreSQL (or any database dj-database-url understands).
REDIS_URL      -> Redis as Celery broker, cache and channel layer.
Production differences come from the environment (see README "Deploying"), not from a
second settings module.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from gigcx.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# Writable state of the embedded default (SQLite file, broker folders, static build).
VAR_DIR = Path(env_str("GIGCX_VAR_DIR") or BASE_DIR / "var")

# ---------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (50+ random characters) in production, "
            "or set DJANGO_DEBUG=true for local development (make run does this)."
        )
    SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# The public address of the site, used in emails and invitation links.
SITE_URL = env_str("GIGCX_SITE_URL") or "http://localhost:8000"
# Where people write about their data (shown on /privacy/).
GIGCX_PRIVACY_EMAIL = env_str("GIGCX_PRIVACY_EMAIL") or "privacy@gigcx.localhost"

INSTALLED_APPS = [
    # daphne first: it makes `runserver` serve the ASGI app (HTTP and websockets).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "django_celery_beat",
    "channels",
    "gigcx",
    "marketplace",
    "routing",
    "quality",
    "payments",
    "privacy",
    "voice",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The language of the page: the person's setting, the switcher, the brand, the browser.
    "gigcx.i18n.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (see "Security").
    "gigcx.content_policy.ContentPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # /admin/ needs a session confirmed with a second factor (gigcx.mfa).
    "gigcx.mfa.AdminMfaMiddleware",
    # Refusals (403, and 404 of a matched route) go to the audit log (gigcx.audit).
    "gigcx.audit.DeniedAccessAuditMiddleware",
]

ROOT_URLCONF = "gigcx.urls"
WSGI_APPLICATION = "gigcx.wsgi.application"
ASGI_APPLICATION = "gigcx.asgi.application"
AUTH_USER_MODEL = "gigcx.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "marketplace.context_processors.navigation",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------
# Database: SQLite by default, DATABASE_URL for PostgreSQL
# ---------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
# PostgreSQL connections come from a bounded pool per process (psycopg_pool through Django):
# a thread borrows one for a request or a task and gives it back, so a process never holds
# more than DATABASE_POOL_MAX_SIZE however many threads it runs, and a request that cannot
# get one within DATABASE_POOL_TIMEOUT seconds answers 503. The connections a deployment
# needs, for W web processes, C worker processes with k pool children each, and beat:
#     W * POOL_MAX + C * k * POOL_MAX + 1 + a few for migrations and psql  <=  max_connections
# (README, "Deploying"). Every statement and every lock wait has a ceiling, so a stuck query
# or a long lock cannot pin a connection or a request for ever.
DATABASE_POOL = env_bool("DATABASE_POOL", True)
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 30_000, minimum=0)
DATABASE_LOCK_TIMEOUT_MS = env_int("DATABASE_LOCK_TIMEOUT_MS", 10_000, minimum=0)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=0 if DATABASE_POOL else env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=not DATABASE_POOL,
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = (
            f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS} "
            f"-c lock_timeout={DATABASE_LOCK_TIMEOUT_MS}"
        )
        if DATABASE_POOL:
            _options["pool"] = {
                "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1, minimum=0),
                "max_size": env_int("DATABASE_POOL_MAX_SIZE", 8, minimum=1),
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 5, minimum=1),
                # A connection idle this long is closed, down to min_size.
                "max_idle": 300,
            }
else:
    # The embedded default keeps its files here; a fresh clone has no such folder yet.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "gigcx.sqlite3",
            "OPTIONS": {
                # Web, worker and beat share the file: WAL lets readers run beside a writer,
                # IMMEDIATE takes the write lock at BEGIN so transactions queue instead of
                # failing with "database is locked" halfway through.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

# ---------------------------------------------------------------------------------------
# Redis: broker, cache and channel layer when REDIS_URL is set
# ---------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# A separate Redis database for the cache keeps a cache flush away from queued tasks.
REDIS_CACHE_URL = env_str("REDIS_CACHE_URL") or (
    REDIS_URL.rsplit("/", 1)[0] + "/1" if REDIS_URL and REDIS_URL.count("/") >= 3 else REDIS_URL
)

if REDIS_CACHE_URL:
    # One connection pool per process for the cache, and so for throttles and sessions
    # (gigcx/cache.py); Django's own backend opened one per request under ASGI.
    CACHES = {
        "default": {
            "BACKEND": "gigcx.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "gigcx",
        }
    }
else:
    # The database cache is shared by web, worker and beat processes (rate limits and
    # periodic-task locks must be seen by all of them); locmem would not be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "gigcx_cache",
        }
    }

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# ---------------------------------------------------------------------------------------
# Celery  https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ---------------------------------------------------------------------------------------
# Nothing configured: the embedded broker (gigcx/broker.py), a SQLite file of its own beside
# the application database, so queue polling never waits on the site's writes.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "sqlite-broker://"
# The slowest task must finish well inside the visibility timeout, or Redis hands it to a
# second worker while the first is still running (celery/celery#5935).
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# Fault-injection tests (GIGCX_FAULT_TESTS=true) shorten it to seconds; nothing else may.
CELERY_VISIBILITY_TIMEOUT = env_int(
    "CELERY_VISIBILITY_TIMEOUT", 600, minimum=1 if env_bool("GIGCX_FAULT_TESTS", False) else 60
)
if CELERY_BROKER_URL.startswith("sqlite-broker://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "path": str(VAR_DIR / "broker.sqlite3"),
        # An idle worker polls its queues this often: the wait before a task starts.
        "polling_interval": env_int("GIGCX_BROKER_POLL_MS", 50, minimum=5) / 1000,
        # A live worker renews its claims, so this is only how long the messages of a worker
        # that died stay invisible before another one gets them.
        "visibility_timeout": env_int("GIGCX_BROKER_CLAIM_SECONDS", 60, minimum=5),
        # One worker serves every queue: triage and routing first, two claims in three (a
        # burst of questions also queues an outbox delivery each on "default").
        "queue_order": ["routing", "payments", "default"],
    }
elif CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's folder broker, kept only for comparison (bench/broker.py): readers can see
    # half-written files (JSONDecodeError) and it polls once a second.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # kombu scans for messages past the visibility timeout (a crashed worker's) only on
        # every 10th tick of a 10 s timer, up to 100 s late; scan every tick instead.
        "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 4)),
        "unacked_restore_throttle": 1,
        # A Redis that hangs (paused, overloaded) must not hang a request that publishes.
        "socket_timeout": 5,
        "socket_connect_timeout": 2,
        "health_check_interval": 10,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# With acks_late, a worker child killed mid-task is still acknowledged unless this is on:
# the task would be lost. Every task is idempotent, so running it again is safe.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# A new pool child that has not said it is up within this many seconds is killed and replaced.
# It loads the text models first, which takes longer than Celery's 4 s on a loaded machine
# (then every new child would be killed in turn): a minute, unless set.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = env_int("CELERY_WORKER_PROC_ALIVE_TIMEOUT", 60, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers reconnect for ever after a broker restart (None = no limit) rather than exiting.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Publishing runs on a request thread: retry briefly, then gigcx.dispatch logs and the
# database-owned deadlines take over (see gigcx/dispatch.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # Embeds a few hundred questions: kept off the latency-sensitive routing queue.
    "routing.detect_surges": {"queue": "default"},
    # SMTP is slow I/O: offer and private-link emails wait on the default queue, not in
    # front of routing.
    "routing.send_offer_email": {"queue": "default"},
    "routing.send_question_link": {"queue": "default"},
    "routing.*": {"queue": "routing"},
    "payments.*": {"queue": "payments"},
    "gigcx.*": {"queue": "default"},
    "privacy.*": {"queue": "default"},
    "voice.*": {"queue": "routing"},
    "integrations.*": {"queue": "default"},
}
# What tasks print (the console email backend in development) is output, not a warning.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The whole beat schedule, in one place. django-celery-beat copies it into its tables.
# The frequent sweeps expire: one still queued when the next is due is dropped unrun (a
# worker that fell behind would otherwise work through a pile of identical sweeps).
CELERY_BEAT_SCHEDULE = {
    "gigcx.sweep_outbox": {
        "task": "gigcx.sweep_outbox",
        "schedule": timedelta(seconds=15),
        "options": {"expire_seconds": 30},
    },
    # Offer deadlines, widening, SLA escalation and stale presence, all from the database.
    "routing.sweep": {
        "task": "routing.sweep",
        "schedule": timedelta(seconds=5),
        "options": {"expire_seconds": 10},
    },
    # Earnings past their clearance date become available; stuck payouts are retried.
    "payments.clear_earnings": {
        "task": "payments.clear_earnings",
        "schedule": timedelta(minutes=5),
    },
    "payments.send_payouts": {"task": "payments.send_payouts", "schedule": timedelta(minutes=1)},
    # Staffing surges: the waiting queue against the online experts' free slots.
    "routing.watch_staffing": {
        "task": "routing.watch_staffing",
        "schedule": timedelta(minutes=1),
        "options": {"expire_seconds": 50},
    },
    # Surges of one problem per product (routing/text/surge.py): at most this much is added
    # to the detection delays bench/surge.py measures at each question's arrival.
    "routing.detect_surges": {
        "task": "routing.detect_surges",
        "schedule": timedelta(minutes=5),
        "options": {"expire_seconds": 240},
    },
    # Nightly: ledger, payouts and provider transfer events compared, and running account
    # balances checked against the sum of their postings (payments.services.reconciliation).
    "payments.reconcile_ledger": {
        "task": "payments.reconcile_ledger",
        "schedule": crontab(hour=4, minute=0),
    },
    "gigcx.prune_task_attempts": {
        "task": "gigcx.prune_task_attempts",
        "schedule": timedelta(hours=24),
    },
    "gigcx.prune_idempotency_keys": {
        "task": "gigcx.prune_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    # Experts' quality scores and tiers, nightly (ratings also recompute them at once).
    "quality.recompute_scores": {
        "task": "quality.recompute_scores",
        "schedule": crontab(hour=3, minute=15),
    },
    # The brands' service figures, rolled up per day through yesterday.
    "quality.rollup_metrics": {
        "task": "quality.rollup_metrics",
        "schedule": crontab(hour=2, minute=30),
    },
    # ...and today's, every few minutes, so the metrics never compute a busy day live.
    # "How did we do?": one reminder a day after the first email, if still unrated.
    "quality.send_rating_reminders": {
        "task": "quality.send_rating_reminders",
        "schedule": timedelta(hours=1),
    },
    "quality.rollup_metrics_today": {
        "task": "quality.rollup_metrics_today",
        "schedule": timedelta(minutes=5),
    },
    # Calls: unanswered offers ring the next expert, callback reminders, call earnings clear.
    "voice.sweep": {
        "task": "voice.sweep",
        "schedule": timedelta(seconds=10),
        "options": {"expire_seconds": 20},
    },
    # Webhook deliveries whose next attempt is due (retries, and any a lost worker left).
    "integrations.sweep_webhooks": {
        "task": "integrations.sweep_webhooks",
        "schedule": timedelta(seconds=10),
        "options": {"expire_seconds": 20},
    },
    "integrations.prune_deliveries": {
        "task": "integrations.prune_deliveries",
        "schedule": crontab(hour=4, minute=30),
    },
    # Conversation text past each brand's retention setting is replaced, nightly.
    "privacy.purge_conversations": {
        "task": "privacy.purge_conversations",
        "schedule": crontab(hour=3, minute=45),
    },
}
CELERY_TIMEZONE = "UTC"
# Poison messages: a task message delivered this many times without finishing is not run
# again; it lands in the DeadLetter table (gigcx/deadletters.py, `manage.py deadletters`).
GIGCX_TASK_MAX_DELIVERIES = env_int("GIGCX_TASK_MAX_DELIVERIES", 5, minimum=1)
# Deliveries are counted in the broker's Redis when the broker is Redis, on the message's
# row with the embedded broker, in the database otherwise; "database" counts in the database
# whatever the broker.
GIGCX_TASK_DELIVERY_COUNTER = env_str("GIGCX_TASK_DELIVERY_COUNTER") or ""
if GIGCX_TASK_DELIVERY_COUNTER not in ("", "database"):
    raise ImproperlyConfigured(
        f'GIGCX_TASK_DELIVERY_COUNTER is "{GIGCX_TASK_DELIVERY_COUNTER}"; leave it empty '
        '(count where the broker is) or set it to "database".'
    )

# A question still "new" this long after it was asked lost its triage task (a worker or the
# broker died): the sweeper triages it. After this many triage runs that never finished, it
# goes to people without the analysis rather than waiting for ever.
GIGCX_TRIAGE_DEADLINE_SECONDS = env_int("GIGCX_TRIAGE_DEADLINE_SECONDS", 15, minimum=1)
GIGCX_TRIAGE_MAX_ATTEMPTS = env_int("GIGCX_TRIAGE_MAX_ATTEMPTS", 3, minimum=1)

# Routing fetches this many candidates per ordered walk (the most recently active experts,
# and the strongest on the product or the best rated) with one indexed query each and scores
# only those, so a decision costs the same in a pool of 1k as of 100k (routing.selectors).
GIGCX_ROUTING_CANDIDATES = env_int("GIGCX_ROUTING_CANDIDATES", 50, minimum=1)
# The web server loads the sentence-embedding model in a background thread as it starts (the
# knowledge-base pages, their gaps and the copilot use it), so no staff member waits seconds
# for the first load; workers load it as each process starts (routing.tasks).
GIGCX_WARM_UP_WEB = env_bool("GIGCX_WARM_UP_WEB", True)

# Apps above marketplace add their demo data to `manage.py seed_demo` through these.
# The demo cast has a published password, so a production site (DEBUG off) refuses to seed
# it unless this is set on purpose (a staging site, the chaos stack).
GIGCX_ALLOW_DEMO_DATA = env_bool("GIGCX_ALLOW_DEMO_DATA", DEBUG)
GIGCX_DEMO_SEEDERS = ["routing.demo.seed", "payments.demo.seed", "quality.demo.seed"]

# ---------------------------------------------------------------------------------------
# Voice calls (WebRTC)  https://developer.mozilla.org/docs/Web/API/RTCPeerConnection
# ---------------------------------------------------------------------------------------
# ICE servers the browsers use, as the JSON list RTCPeerConnection takes, e.g.
# [{"urls": "stun:stun.example.org:3478"}, {"urls": "turn:turn.example.org:3478",
#   "username": "gigcx", "credential": "..."}]. Empty: direct connections only, which is
# enough on a LAN or localhost; production behind NAT needs a TURN server.
GIGCX_VOICE_ICE_SERVERS = json.loads(env_str("GIGCX_VOICE_ICE_SERVERS") or "[]")

# ---------------------------------------------------------------------------------------
# Payouts: Stripe Connect  https://docs.stripe.com/api/transfers/create
# ---------------------------------------------------------------------------------------
STRIPE_API_BASE = env_str("STRIPE_API_BASE") or "https://api.stripe.com"
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY") or ""
# Signing secret of the webhook endpoint (/payments/webhooks/stripe).
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET") or ""
STRIPE_TIMEOUT = env_int("STRIPE_TIMEOUT", 20, minimum=1)
# A payout in "sending" longer than this without an outcome is presumed crashed and retried
# with the same idempotency key; it must exceed STRIPE_TIMEOUT.
PAYOUT_SEND_LEASE_SECONDS = env_int("PAYOUT_SEND_LEASE_SECONDS", 120, minimum=1)

# ---------------------------------------------------------------------------------------
# Auth and accounts (django-allauth)  https://docs.allauth.org/en/latest/
# ---------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "gigcx.adapters.AccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
HEADLESS_CLIENTS = ("app",)
HEADLESS_SERVE_SPECIFICATION = False
# Everyone may turn on an authenticator app and recovery codes; brand owners, the staff of
# brands that ask for it and site admins must (gigcx.mfa).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "GigCX"

EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
# The console backend prints every mail (private links, invitations) to the log. With DEBUG
# off the site refuses to start on it unless it was chosen on purpose (gigcx.checks, E001).
GIGCX_EMAIL_BACKEND_CHOSEN = bool(env_str("EMAIL_BACKEND")) or env_bool(
    "GIGCX_ALLOW_CONSOLE_EMAIL", False
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "GigCX <no-reply@gigcx.localhost>"
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# ---------------------------------------------------------------------------------------
# Abuse controls: client addresses and rate limits (README "Rate limits")
# ---------------------------------------------------------------------------------------
# How many reverse proxies we run in front of the site, each appending to X-Forwarded-For.
# 0 (the default): the client address is REMOTE_ADDR and X-Forwarded-For is ignored.
GIGCX_TRUSTED_PROXIES = env_int("GIGCX_TRUSTED_PROXIES", 0, minimum=0)
# POSTs of HTML forms a stranger can reach, per client address (and per account or submitted
# login where it applies), counted in the shared cache (gigcx.throttling.rate_limited).
GIGCX_FORM_RATE_LIMITS = {
    "ask": env_str("GIGCX_THROTTLE_QUESTIONS") or "10/min",
    "apply": env_str("GIGCX_THROTTLE_APPLICATIONS") or "10/hour",
    "quiz": env_str("GIGCX_THROTTLE_QUIZ_ATTEMPTS") or "20/hour",
    # Django's admin login, which allauth's limits do not cover: per address and per email.
    "admin_login": env_str("GIGCX_THROTTLE_ADMIN_LOGIN") or "5/15m",
    # The account deletion form checks a password: limited like a login.
    "account_delete": env_str("GIGCX_THROTTLE_ACCOUNT_DELETE") or "10/hour",
    # Not a form: at most this many denied-access audit rows per client address.
    "audit_denied": env_str("GIGCX_AUDIT_DENIED_RATE") or "60/min",
}
# allauth's own limits (login, failed logins, signup, password reset), also in the shared
# cache; its client address comes from the same trusted-proxy rule (gigcx.adapters).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
}

# An Idempotency-Key (API writes that create something) is remembered this long.
GIGCX_IDEMPOTENCY_TTL_HOURS = env_int("GIGCX_IDEMPOTENCY_TTL_HOURS", 24, minimum=1)

# ---------------------------------------------------------------------------------------
# Outbound webhooks (integrations/)  https://www.standardwebhooks.com/
# ---------------------------------------------------------------------------------------
# Endpoints must be https on public addresses (integrations/urlguard.py). These two switches
# are for development and tests only: a local receiver on 127.0.0.1, over plain http.
GIGCX_WEBHOOKS_ALLOW_PRIVATE = env_bool("GIGCX_WEBHOOKS_ALLOW_PRIVATE", False)
GIGCX_WEBHOOKS_ALLOW_HTTP = env_bool("GIGCX_WEBHOOKS_ALLOW_HTTP", False)
# Seconds one attempt may take (connect plus response); a slower receiver counts as failed.
GIGCX_WEBHOOKS_TIMEOUT = env_int("GIGCX_WEBHOOKS_TIMEOUT", 10, minimum=1)
# Finished deliveries (and their payloads) are kept this many days for the log and replays.
GIGCX_WEBHOOKS_LOG_DAYS = env_int("GIGCX_WEBHOOKS_LOG_DAYS", 30, minimum=1)

# ---------------------------------------------------------------------------------------
# API: DRF and drf-spectacular
# ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gigcx.authentication.SessionTokenAuthentication",
        "marketplace.authentication.BrandApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "gigcx.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_CLASSES": [
        "gigcx.throttling.AnonRateThrottle",
        "gigcx.throttling.UserRateThrottle",
        "gigcx.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("GIGCX_THROTTLE_ANON") or "60/min",
        "user": env_str("GIGCX_THROTTLE_USER") or "600/min",
        "questions": env_str("GIGCX_THROTTLE_QUESTIONS") or "10/min",
        "applications": env_str("GIGCX_THROTTLE_APPLICATIONS") or "10/hour",
        "quiz_attempts": env_str("GIGCX_THROTTLE_QUIZ_ATTEMPTS") or "20/hour",
        # A customer's data export, API and page together, per account (privacy app).
        "data_export": env_str("GIGCX_THROTTLE_DATA_EXPORT") or "5/hour",
        # Deleting an account checks a password: limited like a login (API).
        "account_delete": env_str("GIGCX_THROTTLE_ACCOUNT_DELETE") or "10/hour",
    },
    # Client addresses come from REMOTE_ADDR, or from X-Forwarded-For only as far as our own
    # proxies wrote it (gigcx.throttling.client_ip).
    "NUM_PROXIES": GIGCX_TRUSTED_PROXIES,
    "EXCEPTION_HANDLER": "gigcx.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "gigcx.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GigCX API",
    "DESCRIPTION": (
        "Expert marketplace for customer service. Errors always have the shape "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Several "status" fields with different choices: name each set once.
    "ENUM_NAME_OVERRIDES": {
        "ExpertStatusEnum": "marketplace.models.Expert.Status",
        "ApplicationStatusEnum": "marketplace.models.Application.Status",
        "PoolEntryStatusEnum": ["approved", "probation"],
    },
}

# ---------------------------------------------------------------------------------------
# Internationalisation, static files
# ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages the site is translated into (locale/<code>/LC_MESSAGES/django.po; `make
# messages` refreshes the catalogs, `make check-translations` fails on a missing German one).
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "gigcx_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# ---------------------------------------------------------------------------------------
# Security  https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# ---------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# With Redis, sessions are read from the cache and written through to the database
# (gigcx/sessions.py: a signed-in request then reads one row, the user, instead of two, and a
# cache outage falls back to the database). The embedded default's cache is a database table,
# which would add a read rather than save one, so it keeps plain database sessions.
SESSION_ENGINE = "gigcx.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
GIGCX_SESSION_CACHE_SECONDS = env_int("GIGCX_SESSION_CACHE_SECONDS", 600, minimum=1)
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
# Only trust X-Forwarded-Proto when a proxy we run sets it; otherwise clients could spoof it.
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health check is fetched by load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy, enforced (django-csp 4): scripts and styles come only from our own
# static files; no inline <script>, no on*= handlers, no style attributes (DEVELOPERS.md,
# "Scripts, styles and the Content-Security-Policy"). gigcx.content_policy adds the page's
# own ws:/wss: origin to connect-src for the live consoles, lets the widget (/embed/) be
# framed by the brand's website, and loosens the policy for the API docs page only.
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}
# Permissions-Policy: no page uses these browser features. Give microphone=(self) when the
# planned voice feature ships. https://github.com/adamchainz/django-permissions-policy
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": [],
    "geolocation": [],
    # Calls with an expert (voice) use the microphone on our own pages only.
    "microphone": ["self"],
    "payment": [],
    "usb": [],
}

# ---------------------------------------------------------------------------------------
# Logging: ids, not customer text (DESIGN "Trust, privacy, security")
# ---------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        # The 5 s routing sweep and 15 s outbox sweep print only when they did something;
        # warnings and errors always print (gigcx/log_filters.py).
        "quiet_periodic_tasks": {
            "()": "gigcx.log_filters.QuietPeriodicTasks",
            "tasks": ["routing.sweep", "gigcx.sweep_outbox"],
        },
        # Private-link, invitation and reset tokens, API keys: masked as [token] wherever a
        # request path or header is printed (gigcx/log_filters.py).
        "scrub_secrets": {"()": "gigcx.log_filters.ScrubSecrets"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("GIGCX_LOG_LEVEL") or "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Loggers that print request paths scrub at the source, before any handler.
        "django.request": {"filters": ["scrub_secrets"]},
        "django.server": {"filters": ["scrub_secrets"]},
        "django.security.csrf": {"filters": ["scrub_secrets"]},
        "django.security.DisallowedHost": {"filters": ["scrub_secrets"]},
        # daphne's runserver prints each request itself; don't log it twice.
        "django.channels.server": {"level": "WARNING", "filters": ["scrub_secrets"]},
        "celery.beat": {"filters": ["quiet_periodic_tasks"]},
        "celery.worker.strategy": {"filters": ["quiet_periodic_tasks"]},
        "celery.app.trace": {"filters": ["quiet_periodic_tasks"]},
    },
}

CSRF_FAILURE_VIEW = "gigcx.exceptions.csrf_failure"
