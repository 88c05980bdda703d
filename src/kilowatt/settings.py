"""Django settings, read from the environment (see docs/operations.md)."""

import json
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("KILOWATT_HOME", Path.cwd()))
VAR_DIR = BASE_DIR / "var"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DEBUG", False)
# A development key only when DEBUG or the demo says so; production must set SECRET_KEY.
# Production (KILOWATT_ENV=production) refuses to start without its own SECRET_KEY; the demo and
# the tests use a development key that is never valid anywhere else.
PRODUCTION = os.environ.get("KILOWATT_ENV", "development") == "production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set in the environment when KILOWATT_ENV=production")
    SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs page from local static files, not a CDN
    "kilowatt.core",
    "kilowatt.documents",
    "kilowatt.territories.pl.apps.PolandConfig",
    "kilowatt.territories.cz.apps.CzechiaConfig",
    "kilowatt.territories.sk.apps.SlovakiaConfig",
    "kilowatt.parties",
    "kilowatt.network",
    "kilowatt.catalog",
    "kilowatt.metering",
    "kilowatt.channels",
    "kilowatt.sales",
    "kilowatt.switching",
    "kilowatt.finance",
    "kilowatt.billing",
    "kilowatt.collections",
    "kilowatt.commissions",
    "kilowatt.care",
    "kilowatt.interfaces",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kilowatt.interfaces.backoffice.middleware.CurrentCompanyMiddleware",
]

ROOT_URLCONF = "kilowatt.urls"
WSGI_APPLICATION = "kilowatt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kilowatt.interfaces.backoffice.context.backoffice",
                "kilowatt.interfaces.partners.access.partner_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kilowatt.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME", ":memory:")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even when serving from finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:home"
LOGOUT_REDIRECT_URL = "backoffice:login"

SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

from celery.schedules import crontab  # noqa: E402

BILLING_RUN_DAY = int(os.environ.get("BILLING_RUN_DAY", "5"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "dispatch-outbox": {"task": "kilowatt.outbox.dispatch", "schedule": 30.0},
    # Every night at 01:30: create or resume each company's run of the month that ended.
    "billing-nightly": {"task": "kilowatt.billing.nightly", "schedule": crontab(hour=1, minute=30)},
    # 03:00, after billing: reminders, dunning steps and their notices.
    "collections-nightly": {"task": "kilowatt.collections.nightly", "schedule": crontab(hour=3, minute=0)},
    "statements-fetch": {"task": "kilowatt.finance.statements_fetch", "schedule": crontab(minute="*/15")},
    "interest-monthly": {"task": "kilowatt.finance.interest_monthly", "schedule": crontab(hour=2, minute=30)},
    "signatures-poll": {"task": "kilowatt.sales.signatures_poll", "schedule": crontab(minute="*/10")},
    "price-terms-daily": {"task": "kilowatt.sales.price_terms_daily", "schedule": crontab(hour=0, minute=15)},
    # The 2nd of each month, 04:00: commission statements of the month before (after late events arrived).
    "commissions-monthly": {
        "task": "kilowatt.commissions.monthly",
        "schedule": crontab(day_of_month=2, hour=4, minute=0),
    },
    # Every 15 minutes: flag the open tickets whose SLA ran out.
    "care-sla-check": {"task": "kilowatt.care.sla_check", "schedule": crontab(minute="*/15")},
    "care-mail-fetch": {"task": "kilowatt.care.mail_fetch", "schedule": crontab(minute="*/5")},
}

# Payments and collections adapters (see docs/finance.md and docs/collections.md).
PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "fake")  # fake | przelewy24 (P24_* variables)
SITE_URL = os.environ.get("SITE_URL", "")  # public address of this site, for the gateway's return links
# {"company code": [{"kind": "folder", "inbox": ..., "archive": ...} | {"kind": "sftp", ...}]}
STATEMENT_SOURCES = json.loads(os.environ.get("STATEMENT_SOURCES", "{}"))
# care e-mail to tickets: see interfaces/cli/care_mail.py and docs/care.md
CARE_MAILBOXES = json.loads(os.environ.get("CARE_MAILBOXES", "{}"))
DSO_ORDERS_BACKEND = os.environ.get("DSO_ORDERS_BACKEND", "fake")
# Nights ahead the back office may run the collections night for: 0 in production (a notice's deadline and
# a disconnection must follow the real calendar); the demo walks through the next nights this way.
COLLECTIONS_NIGHTS_AHEAD = int(os.environ.get("COLLECTIONS_NIGHTS_AHEAD", "0" if PRODUCTION else "7"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

NINJA_PAGINATION_PER_PAGE = 50

# E-mail through Django's mail framework (core.messaging): files in var/mail unless configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kilowatt <kilowatt@localhost>")

# SMS (core.messaging): "fake" writes var/sms/outbox.jsonl; "smsapi" sends through SMSAPI.pl.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "fake")
SMS_FAKE_FILE = VAR_DIR / "sms" / "outbox.jsonl"
SMSAPI_TOKEN = os.environ.get("SMSAPI_TOKEN", "")
SMSAPI_BASE_URL = os.environ.get("SMSAPI_BASE_URL", "https://api.smsapi.pl")
SMSAPI_SENDER_NAME = os.environ.get("SMSAPI_SENDER_NAME", "")

# Electronic signature (sales.signatures, sales.docuseal; see docs/signatures.md).
SIGNATURE_PROVIDER = os.environ.get("SIGNATURE_PROVIDER", "builtin")  # builtin | docuseal
# fake (files in DOCUSEAL_FAKE_DIR; never the default in production) | api
DOCUSEAL_BACKEND = os.environ.get("DOCUSEAL_BACKEND", "api" if PRODUCTION else "fake")
DOCUSEAL_URL = os.environ.get("DOCUSEAL_URL", "https://api.docuseal.com")  # .eu, or https://<host>/api
DOCUSEAL_API_KEY = os.environ.get("DOCUSEAL_API_KEY", "")
# The secret header set on the webhook in DocuSeal (its name and value), and optionally its HMAC key.
DOCUSEAL_WEBHOOK_HEADER = os.environ.get("DOCUSEAL_WEBHOOK_HEADER", "X-Kilowatt-Webhook-Secret")
DOCUSEAL_WEBHOOK_SECRET = os.environ.get("DOCUSEAL_WEBHOOK_SECRET", "")
DOCUSEAL_WEBHOOK_HMAC_SECRET = os.environ.get("DOCUSEAL_WEBHOOK_HMAC_SECRET", "")
if not DOCUSEAL_WEBHOOK_SECRET and DOCUSEAL_BACKEND == "fake" and not PRODUCTION:
    DOCUSEAL_WEBHOOK_SECRET = "insecure-development-docuseal-webhook-secret"  # the local fake only
DOCUSEAL_FAKE_DIR = Path(os.environ.get("DOCUSEAL_FAKE_DIR", VAR_DIR / "docuseal-fake"))

# PriceComponent uniqueness with an empty tariff group is checked by the operation on SQLite.
SILENCED_SYSTEM_CHECKS = ["models.W047"]
