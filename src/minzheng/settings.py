"""Django settings: every value comes from the environment through `conf.env.Env`."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from minzheng.conf.env import Env

env = Env()

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env.str("MINZHENG_VAR_DIR", str(PACKAGE_DIR.parent.parent / "var"))).resolve()


def _secret_key() -> str:
    """The configured key, or one generated once and kept under var/ (never a shared default)."""
    configured = env.str("MINZHENG_SECRET_KEY", "")
    if configured:
        return configured
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("MINZHENG_DEBUG", False)
ALLOWED_HOSTS = env.list("MINZHENG_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("MINZHENG_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # serves the API docs page from its own static files, not a CDN
    "minzheng.regions",
    "minzheng.accounts",
    "minzheng.audit",
    "minzheng.web",
    "minzheng.verification",
    "minzheng.exchange",
    "minzheng.cases",
    "minzheng.discovery",
    "minzheng.simulation",
    "minzheng.eldercare",
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
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "minzheng.urls"
WSGI_APPLICATION = "minzheng.wsgi.application"

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
            ],
        },
    },
]

# --- Database: SQLite under var/ unless DATABASE_URL names another ---------------------------
DATABASES = {
    "default": env.database(
        "DATABASE_URL",
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "minzheng.sqlite3",
        },
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers up front, so the audit chain never forks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and the login policy (等保 level-3 practice) ------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

PASSWORD_MIN_LENGTH = env.int("MINZHENG_PASSWORD_MIN_LENGTH", 10, minimum=8)
PASSWORD_MIN_CHARACTER_CLASSES = env.int("MINZHENG_PASSWORD_MIN_CLASSES", 3, minimum=1)
LOGIN_FAILURE_LIMIT = env.int("MINZHENG_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env.int("MINZHENG_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
SESSION_IDLE_TIMEOUT_MINUTES = env.int("MINZHENG_SESSION_IDLE_MINUTES", 30, minimum=1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {
        "NAME": "minzheng.accounts.validators.CharacterClassesValidator",
        "OPTIONS": {"min_classes": PASSWORD_MIN_CHARACTER_CLASSES},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # The permissions of each role (minzheng.accounts.roles.ROLE_PERMISSIONS).
    "minzheng.accounts.roles.RoleBackend",
]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# The policy locks an *account*. Locking by address too would lock a whole township office
# that shares one NAT address after five typos, so axes' W006 advice is deliberately declined.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
# The lock lasts LOGIN_LOCKOUT_MINUTES from the lockout; knocking meanwhile does not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "minzheng.web.views.locked_out"
AXES_VERBOSE = False
# axes' own admin pages list every account's attempts, unscoped; the scoped list of locked
# accounts lives in the accounts admin instead.
AXES_ENABLE_ADMIN = False

# Idle timeout: the session lives SESSION_COOKIE_AGE seconds after the *last* request.
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# --- HTTPS (production): MINZHENG_HTTPS=true turns on every transport protection -------------
HTTPS = env.bool("MINZHENG_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env.int("MINZHENG_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env.bool("MINZHENG_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# No inline script or style anywhere (pages, admin, API docs): an injected tag cannot run.
# img-src allows data: for the SVG icons the admin and the API docs draw inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Language and time --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: served by the app itself (government intranets have no CDN) ---------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
WHITENOISE_USE_FINDERS = True
# Browser libraries installed from npm by `make env` (package.json), served under /static/vendor/.
NODE_MODULES = PACKAGE_DIR.parent.parent / "node_modules"
STATICFILES_DIRS = [("vendor/echarts", NODE_MODULES / "echarts" / "dist")]

# Uploaded files (signed consent forms): kept beside the database, never served publicly.
MEDIA_ROOT = Path(env.str("MINZHENG_MEDIA_DIR", str(VAR_DIR / "media"))).resolve()

# --- Economic-status verification (家庭经济状况核对) ----------------------------------------
# The lake the checks read (with its lookup index: `minzheng verify index LAKE`).
# The exchange store: every delivery's accepted and quarantined rows (Parquet).
EXCHANGE_DIR = Path(env.str("MINZHENG_EXCHANGE_DIR", str(VAR_DIR / "exchange"))).resolve()
# How many snapshots are kept (the oldest beyond are deleted after a new one is in use).
EXCHANGE_SNAPSHOTS_KEPT = env.int("MINZHENG_SNAPSHOTS_KEPT", 3, minimum=1)
# The lake checks read: a folder when set, else the exchange's snapshot in use.
# Simulation runs started from the page run in a worker process of their own (off: the
# tests run the worker themselves).
SIMULATION_SPAWN = env.bool("MINZHENG_SIMULATION_SPAWN", True)
# Elder care: how long a capability grade holds before the scheduled re-assessment (months).
ASSESSMENT_VALID_MONTHS = env.int("MINZHENG_ASSESSMENT_VALID_MONTHS", 12, minimum=1)
# Elder care: the alert rules for older people living alone (their escalation timers too).
ELDER_ALERT_RULES = Path(
    env.str("MINZHENG_ELDER_ALERT_RULES", str(PACKAGE_DIR / "eldercare" / "alerts.yaml"))
).resolve()
# Home-care visits (EVV): flagged when checked in or out farther than this from the home (m)
# or shorter than this (minutes); respite care: days an older person may use in a year.
EVV_MAX_DISTANCE_M = env.int("MINZHENG_EVV_MAX_DISTANCE_M", 1000, minimum=1)
EVV_MIN_MINUTES = env.int("MINZHENG_EVV_MIN_MINUTES", 10, minimum=1)
RESPITE_DAYS_PER_YEAR = env.int("MINZHENG_RESPITE_DAYS_PER_YEAR", 30, minimum=0)
_lake = env.str("MINZHENG_LAKE", "")
VERIFY_LAKE = Path(_lake).resolve() if _lake else None
# Declared and found amounts differing by more than both tolerances are flagged.
VERIFY_TOLERANCE_SHARE = env.decimal("MINZHENG_VERIFY_TOLERANCE_SHARE", "0.05")
VERIFY_TOLERANCE_YUAN = env.decimal("MINZHENG_VERIFY_TOLERANCE_YUAN", "50")
# At most this many members in one declaration (each is a lookup of a person's data).
VERIFY_MAX_DECLARED_MEMBERS = env.int("MINZHENG_VERIFY_MAX_DECLARED_MEMBERS", 20, minimum=1)
# Scanned consent forms larger than this are refused (a signed A4 page is well below 1 MB).
VERIFY_CONSENT_FORM_MAX_BYTES = env.int("MINZHENG_CONSENT_FORM_MAX_MB", 10, minimum=1) * 2**20
CASE_ATTACHMENT_MAX_BYTES = env.int("MINZHENG_CASE_ATTACHMENT_MAX_MB", 10, minimum=1) * 2**20
# The public reporting page: reports one address may send in an hour.
REPORTS_PER_HOUR = env.int("MINZHENG_REPORTS_PER_HOUR", 5, minimum=1)
# A feed whose snapshot is older than this many days on the check date is flagged stale.
VERIFY_STALE_DAYS = env.int("MINZHENG_VERIFY_STALE_DAYS", 90, minimum=0)
# The CJK font embedded in PDF reports: a TrueType font (Debian's fonts-wqy-zenhei; the first
# font of a .ttc collection is used). CFF-outline fonts such as Noto CJK embed, but their text
# cannot be extracted reliably from the PDF.
PDF_FONT = env.str("MINZHENG_PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("MINZHENG_LOG_LEVEL", "WARNING")},
}
