"""Settings for Alert Contacts.

Every value that differs between a laptop and production comes from the environment through
django-environ (see the README's table). Defaults are safe for local use: SQLite under var/,
the outbox for email, text messages and calls, DEBUG on, a development signing key generated once
into var/secret_key.
Production sets DEBUG=0, which then requires SECRET_KEY and ALLOWED_HOSTS and turns on the HTTPS
hardening that `check --deploy` asks for.
"""

import ipaddress
import os
import secrets
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; absent in CI and most deployments

DEBUG = env.bool("DEBUG", default=True)


def development_secret_key(path):
    """The signing key of a development checkout: generated once into `path` (mode 0600) and
    reused, so restarting `make run` keeps everyone signed in and earlier activation links valid.
    Written to a temporary file and linked into place, so the web server and the worker, which
    start together, read the same complete key."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50) + "\n")
            os.link(temporary, path)
        except FileExistsError:  # the other process wrote it first: use that one
            pass
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: delete it and a new development key is generated.")
    return key


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = development_secret_key(env.path("SECRET_KEY_FILE", default=VAR_DIR / "secret_key"))

if DEBUG:
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
else:
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must be set when DEBUG is off: the host names this site answers to, "
            "comma-separated (e.g. ALLOWED_HOSTS=alerts.example.com)."
        )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "config.apps.BackgroundTasksConfig",  # django-tasks-db, with a translated name
    "phonenumber_field",
    "simple_history",
    "axes",
    "contacts",
    "alerts",
    "throttling",
    "config",  # the project's own system checks (config/checks.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.OwnNotFoundMiddleware",  # our 404 page with DEBUG on too
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into our 429 page
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alerts.context_processors.console",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite is the embedded default. The web server and the task worker write to the same file, so
# writes take the lock up front (IMMEDIATE), wait instead of failing, and WAL lets readers go on.
# Connections are kept open between requests (CONN_MAX_AGE) on either database: a new SQLite
# connection reads the schema and every page it touches again, and the last one to close a WAL
# file checkpoints it, which cost more than the rest of an API request.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"),
        }
    )
    # Tests use a file too: an in-memory database shared between threads locks whole tables
    # without waiting, which is not how the product runs.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "alerts:management_center"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (T2, E1) with django-axes, for the console's and the admin's sign-in.
# Failures are counted per username *and* address (LOGIN_FAILURE_LIMIT) and per address alone
# (LOGIN_ADDRESS_FAILURE_LIMIT, higher, so that a few colleagues' typos behind one office NAT do
# not lock each other out, while one address trying many usernames is stopped). Never per
# username alone: anyone could then keep a user locked out from everywhere. Each lockout lasts
# LOGIN_LOCKOUT_MINUTES after the last failed attempt; throttling/signin.py does the counting.
# Backends: axes first (it refuses a locked-out password sign-in before any password is checked),
# then passwords (alerts.sign_in.PasswordBackend: PASSWORD_SIGN_IN), then Sign in with Alibaba Cloud
# (alerts.oidc; it answers only its own callback, so it never sees a password).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "alerts.sign_in.PasswordBackend",
    "alerts.oidc.AlibabaCloudOIDCBackend",
]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=4 * LOGIN_FAILURE_LIMIT)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = "throttling.signin.cool_off"  # LOGIN_LOCKOUT_MINUTES as a timedelta
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "throttling.signin.SignInThrottleHandler"
AXES_LOCKOUT_CALLABLE = "throttling.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "throttling.addresses.client_address"
AXES_DISABLE_ACCESS_LOG = True  # failures are what we need; a row per successful sign-in is not
AXES_VERBOSE = False  # no start-up banner in every management command
# The client address is REMOTE_ADDR unless this many proxies of ours add X-Forwarded-For in front
# of the web server (then the address the outermost of them saw); 0 trusts no header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Bearer-token failures on /api/ (I1): after this many from one address within the window, every
# request from it answers 429 with Retry-After, a valid token included, until the window passes.
API_AUTH_FAILURE_LIMIT = env.int("API_AUTH_FAILURE_LIMIT", default=20)
API_AUTH_FAILURE_WINDOW_SECONDS = env.int("API_AUTH_FAILURE_WINDOW_SECONDS", default=300)

# Sign in with Alibaba Cloud (OpenID Connect, alerts/oidc.py): on when OIDC_CLIENT_ID is set. Register
# the callback URL https://<the console's host>/oidc/callback/ with the provider. Discovery:
# China site https://oauth.aliyun.com/.well-known/openid-configuration (the default),
# International site https://oauth.alibabacloud.com/.well-known/openid-configuration; any other
# OpenID Connect provider works with its discovery URL and the claim names below.
OIDC_DISCOVERY_URL = env.str("OIDC_DISCOVERY_URL", default="https://oauth.aliyun.com/.well-known/openid-configuration")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
# Which ID-token claim carries what (Alibaba Cloud's names by default): the account ID, the user's
# ID (equal to the account ID for the account owner, the RAM UserId or RoleId otherwise), the login
# name and the name shown in the top bar.
OIDC_CLAIMS = {
    "account_id": env.str("OIDC_CLAIM_ACCOUNT_ID", default="aid"),
    "user_id": env.str("OIDC_CLAIM_USER_ID", default="uid"),
    "login_name": env.str("OIDC_CLAIM_LOGIN_NAME", default="login_name"),
    "name": env.str("OIDC_CLAIM_NAME", default="name"),
}
# The button says "Sign in with Alibaba Cloud" unless another provider's name is given here.
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_CLOCK_SKEW_SECONDS = env.int("OIDC_CLOCK_SKEW_SECONDS", default=60)
OIDC_DISCOVERY_TTL_SECONDS = env.int("OIDC_DISCOVERY_TTL_SECONDS", default=3600)
# mozilla-django-oidc's own settings: authorization code flow with PKCE (S256), state and nonce.
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid aliuid profile")
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT_SECONDS", default=10.0)
# false: the console's sign-in page offers only Sign in with Alibaba Cloud, and a password is
# accepted only from staff users (support staff keep the admin's sign-in at /admin/).
PASSWORD_SIGN_IN = env.bool("PASSWORD_SIGN_IN", default=True)

# i18n (T3): the browser's preference first (LocaleMiddleware reads Accept-Language), then the
# language switch in the top bar (Django's set_language view, stored in a cookie).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Mail goes through Django 6.1's MAILERS (the EMAIL_* settings are deprecated).
# The local default writes every email to the outbox (OUTBOX_PATH); SMTP_HOST switches to SMTP.
OUTBOX_PATH = env.path("OUTBOX_PATH", default=VAR_DIR / "outbox.jsonl")
MAILERS = {"default": {"BACKEND": env.str("MAIL_BACKEND", default="contacts.messaging.outbox.OutboxEmailBackend")}}
if env.str("SMTP_HOST", default=""):
    MAILERS["default"] = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env.str("SMTP_HOST"),
            "port": env.int("SMTP_PORT", default=25),
            "username": env.str("SMTP_USER", default="") or None,
            "password": env.str("SMTP_PASSWORD", default="") or None,
            "use_tls": env.bool("SMTP_USE_TLS", default=False),
            "timeout": env.float("SMTP_TIMEOUT", default=10.0),
        },
    }

# Every message leaves through one transport per channel (contacts.messaging), named by its dotted
# path in MESSAGING_TRANSPORTS: email always through Django's mail framework (MAILERS above), text
# messages and phone calls through the provider that SMS_PROVIDER and VOICE_PROVIDER name, the
# custom webhook always as a real HTTP push. A new provider is one module and one line here.
_TEXT_PROVIDERS = {
    "outbox": "contacts.messaging.outbox.OutboxTransport",
    "gateway": "contacts.messaging.gateway.GatewayTransport",
    "aliyun": {
        "sms": "contacts.messaging.aliyun.AliyunSmsTransport",
        "voice": "contacts.messaging.aliyun.AliyunVoiceTransport",
    },
}


def _text_provider(variable, channel):
    """The transport that the environment variable `variable` names for `channel`; an unknown name
    stops start-up. A provider with one transport per channel names them by channel."""
    name = env.str(variable, default="").strip().lower() or "outbox"
    if name not in _TEXT_PROVIDERS:
        raise ImproperlyConfigured(
            f"{variable}={name!r} is not a provider of text messages and calls: "
            f"use one of {', '.join(_TEXT_PROVIDERS)} (default: outbox)."
        )
    transport = _TEXT_PROVIDERS[name]
    return transport[channel] if isinstance(transport, dict) else transport


MESSAGING_TRANSPORTS = {
    "email": "contacts.messaging.email.EmailTransport",
    "sms": _text_provider("SMS_PROVIDER", "sms"),
    "voice": _text_provider("VOICE_PROVIDER", "voice"),
    "webhook": "contacts.messaging.webhook.WebhookTransport",
}
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
VOICE_GATEWAY_URL = env.str("VOICE_GATEWAY_URL", default="")
GATEWAY_TOKEN = env.str("GATEWAY_TOKEN", default="")
HTTP_TIMEOUT_SECONDS = env.float("HTTP_TIMEOUT_SECONDS", default=10.0)
# Alibaba Cloud APIs, through the official SDKs (contacts/cloud.py). Credentials come from the
# official chain (ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, a credentials file profile, an instance
# RAM role), never from the database. Endpoints are URLs, overridable for tests and private networks.
ALIBABA_CLOUD_CONNECT_TIMEOUT_SECONDS = env.float("ALIBABA_CLOUD_CONNECT_TIMEOUT_SECONDS", default=5.0)
ALIBABA_CLOUD_READ_TIMEOUT_SECONDS = env.float("ALIBABA_CLOUD_READ_TIMEOUT_SECONDS", default=10.0)
ALIBABA_CLOUD_RAM_ENDPOINT = env.str("ALIBABA_CLOUD_RAM_ENDPOINT", default="https://ram.aliyuncs.com")
# Empty: each region's public endpoint, https://dataworks.<region>.aliyuncs.com. A URL with
# `{region}` is filled in per region (e.g. https://dataworks-vpc.{region}.aliyuncs.com); a URL
# without it serves every region. ALIBABA_CLOUD_DATAWORKS_REGION_ENDPOINTS names one URL per
# region (`cn-hangzhou=https://…,ap-southeast-1=https://…`) and wins over the other two.
ALIBABA_CLOUD_DATAWORKS_ENDPOINT = env.str("ALIBABA_CLOUD_DATAWORKS_ENDPOINT", default="")
ALIBABA_CLOUD_DATAWORKS_REGION_ENDPOINTS = env.dict("ALIBABA_CLOUD_DATAWORKS_REGION_ENDPOINTS", default={})
ALIBABA_CLOUD_SMS_ENDPOINT = env.str("ALIBABA_CLOUD_SMS_ENDPOINT", default="https://dysmsapi.aliyuncs.com")
ALIBABA_CLOUD_VOICE_ENDPOINT = env.str("ALIBABA_CLOUD_VOICE_ENDPOINT", default="https://dyvmsapi.aliyuncs.com")
# Alibaba Cloud SMS and Voice (SMS_PROVIDER / VOICE_PROVIDER `aliyun`, contacts/messaging/aliyun.py):
# the approved sign name and template codes, the TTS template and the purchased show number.
ALIBABA_CLOUD_SMS_SIGN_NAME = env.str("ALIBABA_CLOUD_SMS_SIGN_NAME", default="")
ALIBABA_CLOUD_SMS_TEMPLATE_ALERT = env.str("ALIBABA_CLOUD_SMS_TEMPLATE_ALERT", default="")
ALIBABA_CLOUD_SMS_TEMPLATE_ACTIVATION = env.str("ALIBABA_CLOUD_SMS_TEMPLATE_ACTIVATION", default="")
ALIBABA_CLOUD_VOICE_TTS_CODE = env.str("ALIBABA_CLOUD_VOICE_TTS_CODE", default="")
ALIBABA_CLOUD_VOICE_SHOW_NUMBER = env.str("ALIBABA_CLOUD_VOICE_SHOW_NUMBER", default="")
# Delivery receipts: pushed by the provider to /api/v1/receipts/aliyun/sms|voice?token=RECEIPTS_TOKEN
# (empty: the endpoints answer 404), and asked for by the worker for deliveries still without one
# RECEIPT_POLL_AFTER_SECONDS after sending, until RECEIPT_POLL_DEADLINE_SECONDS after sending.
RECEIPTS_TOKEN = env.str("RECEIPTS_TOKEN", default="")
RECEIPT_POLL_AFTER_SECONDS = env.int("RECEIPT_POLL_AFTER_SECONDS", default=300)
RECEIPT_POLL_DEADLINE_SECONDS = env.int("RECEIPT_POLL_DEADLINE_SECONDS", default=2 * 3600)
# Outbound requests (webhooks, gateways) never go to loopback, private, link-local or reserved
# addresses, nor over plain http once DEBUG is off, except to these networks (CIDRs, e.g.
# `10.20.0.0/16` for a gateway inside the company network). See contacts/messaging/destinations.py.
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=[])
for _network in OUTBOUND_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network.strip())
    except ValueError as _error:
        raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_NETWORKS: {_error}") from None
# The outbox refuses addresses and numbers matching these globs as incorrect, to show fallback.
OUTBOX_UNDELIVERABLE = env.list("OUTBOX_UNDELIVERABLE", default=["*.invalid"])
# The Outbox page (what the outbox "sent", activation links included) is a development
# page: on while DEBUG is on, off otherwise unless this says so.
OUTBOX_PAGE = env.bool("OUTBOX_PAGE", default=False)

# Alert delivery (D1, D7): retries with exponential backoff; a claimed delivery whose worker died
# is claimed again once its lease expires.
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=4)
DELIVERY_RETRY_BASE_SECONDS = env.float("DELIVERY_RETRY_BASE_SECONDS", default=30.0)
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=120)
# The most deliveries a worker claims at once; fewer while sending is slow, so that a batch is sent
# within a quarter of its lease (alerts.dispatch.BatchPace).
DELIVERY_BATCH_SIZE = env.int("DELIVERY_BATCH_SIZE", default=500)
# Every worker also sweeps for due deliveries on this period, so nothing waits on a lost wake-up.
DELIVERY_SWEEP_SECONDS = env.int("DELIVERY_SWEEP_SECONDS", default=60)
# The directory sync (alerts/directory): RAM users and roles, workspaces and members of every
# account whose directory sync is on, every this many seconds, run by the worker; 0 turns the
# periodic sync off (`manage.py sync_directory` and the admin's *Sync now* still work). Throttled
# calls are tried this many times in all, waiting RETRY_BASE_SECONDS, then twice that, and so on.
DIRECTORY_SYNC_INTERVAL_SECONDS = env.int("DIRECTORY_SYNC_INTERVAL_SECONDS", default=3600)
DIRECTORY_SYNC_MAX_ATTEMPTS = env.int("DIRECTORY_SYNC_MAX_ATTEMPTS", default=4)
DIRECTORY_SYNC_RETRY_BASE_SECONDS = env.float("DIRECTORY_SYNC_RETRY_BASE_SECONDS", default=1.0)
# Entries asked for per page (RAM takes up to 1000, DataWorks up to 100).
DIRECTORY_SYNC_PAGE_SIZE = env.int("DIRECTORY_SYNC_PAGE_SIZE", default=100)
# Alert history older than this many days is deleted by the workers (alerts/retention.py), in
# small batches, at most once per ALERT_RETENTION_SWEEP_SECONDS; 0 keeps it forever.
ALERT_RETENTION_DAYS = env.int("ALERT_RETENTION_DAYS", default=180)
ALERT_RETENTION_SWEEP_SECONDS = env.int("ALERT_RETENTION_SWEEP_SECONDS", default=3600)
# /readyz (alerts/health.py) wants a worker whose heartbeat is at most this old.
WORKER_SEEN_SECONDS = env.int("WORKER_SEEN_SECONDS", default=60)
# /metrics (Prometheus, alerts/metrics.py) answers only with this token (bearer or ?token=); empty: 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Intake (I1, I2): alerts are stored in chunks of this many, one short transaction each; bodies
# and Alertmanager groups above these limits are answered 413 naming the limit.
INTAKE_CHUNK_SIZE = env.int("INTAKE_CHUNK_SIZE", default=100)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=256 * 1024)
ALERTMANAGER_MAX_BODY_BYTES = env.int("ALERTMANAGER_MAX_BODY_BYTES", default=16 * 1024 * 1024)
ALERTMANAGER_MAX_ALERTS = env.int("ALERTMANAGER_MAX_ALERTS", default=20000)
# Test messages from the contacts list (I3): at most this many per method in the window.
TEST_MESSAGE_LIMIT = env.int("TEST_MESSAGE_LIMIT", default=3)
TEST_MESSAGE_WINDOW_SECONDS = env.int("TEST_MESSAGE_WINDOW_SECONDS", default=600)

# Activation links (C8, C10). Within the window, at most ACTIVATION_RESEND_LIMIT activation
# messages go to one number or address and at most ACTIVATION_CONTACT_LIMIT to one contact, the
# first send at Confirm included, whatever edits or resends caused them.
ACTIVATION_LINK_TTL_SECONDS = env.int("ACTIVATION_LINK_TTL_SECONDS", default=86400)
ACTIVATION_RESEND_LIMIT = env.int("ACTIVATION_RESEND_LIMIT", default=3)
ACTIVATION_RESEND_WINDOW_SECONDS = env.int("ACTIVATION_RESEND_WINDOW_SECONDS", default=600)
ACTIVATION_CONTACT_LIMIT = env.int("ACTIVATION_CONTACT_LIMIT", default=2 * ACTIVATION_RESEND_LIMIT)
# A transient failure to send an activation message is retried with the deliveries' backoff.
ACTIVATION_SEND_MAX_ATTEMPTS = env.int("ACTIVATION_SEND_MAX_ATTEMPTS", default=DELIVERY_MAX_ATTEMPTS)
# Absolute links in messages start with this (the address people reach the console at).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Alert Contacts <alerts@localhost>")

# Background work runs through django.tasks on the django-tasks-db database backend; the worker is
# `python manage.py run_worker` (alerts/worker.py: the queue plus a periodic sweep of due deliveries).
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Content-Security-Policy (E2): only our own origin; scripts need the per-response nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# HTTPS hardening: on by default once DEBUG is off; each can be overridden (e.g. behind a proxy
# that terminates TLS, set SECURE_PROXY_SSL_HEADER).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Demo data (`python manage.py load_demo_data`) signs everyone in with this password.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo")

# Activation links' tokens never reach a log line (request lines of the development server
# included): the filter replaces them with [token].
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "config.logging.RedactActivationTokens"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["redact_tokens"]},
    },
    "loggers": {
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # Django's own handlers of this logger (a console one when DEBUG, and mail to ADMINS, which
        # the product does not use) go: its lines reach the root's console once, not twice.
        "django": {"level": "INFO"},
        # Failed sign-ins and lockouts are warnings; axes' routine book-keeping is not worth a line.
        "axes": {"level": "WARNING"},
        # The Alibaba Cloud credentials library runs a scheduler that logs its start and stop.
        "apscheduler": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
