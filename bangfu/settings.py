"""Bangfu settings. Everything that differs between machines comes from the environment.

BANGFU_ENV=production turns on the strict settings (`manage.py check --deploy` clean);
BANGFU_DEMO=1 shows the demo banner and relaxes forced password change and two-factor.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from bangfu.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("BANGFU_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = env_str("BANGFU_ENV", "development") == "production"
DEMO_MODE = env_bool("BANGFU_DEMO", False) and not PRODUCTION
# How many demo household archives `seed_demo` adds (bangfu.registry.demo).
DEMO_HOUSEHOLDS = env_int("BANGFU_DEMO_HOUSEHOLDS", 3000)
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)

# A development key is generated once per checkout; production must provide its own.
_dev_key_file = VAR_DIR / "dev-secret-key"
if PRODUCTION:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY")
else:
    if not _dev_key_file.exists():
        import secrets

        _dev_key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = env_str("DJANGO_SECRET_KEY") or _dev_key_file.read_text().strip()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "bangfu.accounts.admin_apps.BangfuAdminConfig",  # django.contrib.admin with a site for system admins only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_password_validators",
    "django_password_validators.password_history",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "bangfu.core",
    "bangfu.audit",
    "bangfu.orgs",
    "bangfu.accounts",
    "bangfu.workdays",
    "bangfu.registry",
    "bangfu.funds",
    "bangfu.notifications",
    "bangfu.plans",
    "bangfu.helpers",
    "bangfu.rights",
    "bangfu.care",
    "bangfu.worklist",
    "bangfu.imports",
    "bangfu.econcheck",
    "bangfu.crosscheck",
    "bangfu.monitoring",
    "bangfu.services",
    "bangfu.portal",
    "bangfu.stats",  # after every app whose tables its triggers read (SQLite flush deletes in this order)
    "bangfu.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "bangfu.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "bangfu.accounts.middleware.IdleTimeoutMiddleware",
    "bangfu.accounts.middleware.SecurityGateMiddleware",
    "bangfu.core.middleware.UserContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bangfu.urls"
WSGI_APPLICATION = "bangfu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "bangfu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bangfu.core.context_processors.platform",
            ],
        },
    },
]

# --- Database: SQLite file under var/ by default, PostgreSQL through DATABASE_URL. ---
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'bangfu.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Password policy (DOMAIN.md §9): >= 8, three character classes, not the username, no reuse of last 5. ---
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "bangfu.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "bangfu.accounts.validators.NotUsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "django_password_validators.password_history.password_validation.UniquePasswordsValidator",
        "OPTIONS": {"last_passwords": 5},
    },
]

# --- Lockout: 5 failures, 30 minutes (django-axes). ---
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

# --- Sessions: idle timeout 30 minutes, enforced by IdleTimeoutMiddleware and the cookie age. ---
IDLE_TIMEOUT_SECONDS = env_int("IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_COOKIE_AGE = IDLE_TIMEOUT_SECONDS
# The idle-timeout middleware marks the session modified (hence saved, expiry renewed) at most once a
# minute; saving on every request would add a database write to every page.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

OTP_TOTP_ISSUER = "Bangfu 帮扶"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    SECURE_REFERRER_POLICY = "same-origin"

# --- Language: simplified Chinese by default, English complete beside it. ---
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: front-end assets come from node_modules (npm registry), never a CDN. ---
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
if not PRODUCTION:
    # Development and tests serve assets straight from the finders (node_modules, app static).
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
STATICFILES_DIRS = [BASE_DIR / "bangfu" / "static"]
_NODE = BASE_DIR / "node_modules"
for _prefix, _path in [
    ("vendor/bootstrap", _NODE / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", _NODE / "bootstrap-icons" / "font"),
    ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ("vendor/echarts", _NODE / "echarts" / "dist"),
]:
    if _path.exists():
        STATICFILES_DIRS.append((_prefix, _path))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded evidence lives outside the web root and is served only through scoped views.
MEDIA_ROOT = VAR_DIR / "protected"
MEDIA_URL = None
# Largest evidence file accepted, in MB (bangfu.registry.files).
BANGFU_MAX_UPLOAD_MB = env_int("BANGFU_MAX_UPLOAD_MB", 10)
# Bulk import of archives (bangfu/imports): largest file, and seconds without a heartbeat before a job counts as dead.
BANGFU_IMPORT_MAX_MB = env_int("BANGFU_IMPORT_MAX_MB", 100)
BANGFU_IMPORT_STALE_SECONDS = env_int("BANGFU_IMPORT_STALE_SECONDS", 120)
# Hours a failed job keeps its uploaded file for "run again" (full ID numbers in it; purged hourly after that).
BANGFU_IMPORT_KEEP_HOURS = env_int("BANGFU_IMPORT_KEEP_HOURS", 24)
# Cross-checks (bangfu/crosscheck): largest data-set file, largest unpacked .xlsx, minutes after which a run that
# never finished counts as dead on SQLite (PostgreSQL knows from the worker's lock).
BANGFU_CROSSCHECK_MAX_MB = env_int("BANGFU_CROSSCHECK_MAX_MB", 200)
BANGFU_CROSSCHECK_MAX_UNPACKED_MB = env_int("BANGFU_CROSSCHECK_MAX_UNPACKED_MB", 1024)
BANGFU_CROSSCHECK_RUN_STALE_MINUTES = env_int("BANGFU_CROSSCHECK_RUN_STALE_MINUTES", 120)
# Economic checks (bangfu/econcheck): the class that hands a request to the civil-affairs check centre.
BANGFU_CHECK_CENTRE_BACKEND = env_str("BANGFU_CHECK_CENTRE_BACKEND", "bangfu.econcheck.centre.FileCentreBackend")
# Statistical reports (bangfu.stats.reports): exported counts from 1 to this minus 1 are shown as "<N".
BANGFU_STATS_MIN_CELL = env_int("BANGFU_STATS_MIN_CELL", 5)

# --- Background tasks (django-tasks): database worker by default, Redis (RQ) at scale. ---
TASK_BACKEND = env_str("TASK_BACKEND", "database")
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
if TASK_BACKEND == "redis":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    INSTALLED_APPS.append("django_rq")
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Backups (manage.py backup / restore; the scheduler makes one every night and keeps the newest N). ---
BACKUP_DIR = Path(env_str("BANGFU_BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_KEEP = env_int("BANGFU_BACKUP_KEEP", 14)

# --- REST API ---
API_TOKEN_TTL_HOURS = env_int("BANGFU_API_TOKEN_TTL_HOURS", 12)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF tokens that expire and die with a password change, lockout or 2FA reset.
        "bangfu.api.authentication.ExpiringTokenAuthentication",
        # Django's session, refused while a sign-in gate (two-factor, initial password) is pending.
        "bangfu.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "bangfu.api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "bangfu.api.pagination.LimitOffsetPagination",
    "EXCEPTION_HANDLER": "bangfu.api.exceptions.exception_handler",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bangfu API",
    "DESCRIPTION": "困难职工帮扶平台 API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would send the schema to validator.swagger.io by default: nothing leaves the intranet.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrgLevelEnum": "bangfu.orgs.models.Org.Level",
        "OrgKindEnum": "bangfu.orgs.models.Org.Kind",
        "DivisionLevelEnum": "bangfu.orgs.models.Division.Level",
        "LocalStandardKindEnum": "bangfu.orgs.models.LocalStandard.Kind",
        "AidCategoryEnum": "bangfu.funds.models.AidCategory",  # funds API; households have a "category" too
        # rights-cases API (bangfu/rights/api.py): orgs and others have a "kind" and a "state" too
        "RightsCaseKindEnum": "bangfu.rights.models.CaseKind",
        "RightsCaseStateEnum": "bangfu.rights.models.CaseState",
        # plans API (bangfu/plans/api.py): measures and proposals have a "kind", "state" and "decision" too
        "MeasureKindEnum": "bangfu.plans.models.MeasureKind",
        "MeasureStateEnum": "bangfu.plans.models.MeasureState",
        "RecommendationDecisionEnum": "bangfu.plans.models.RecommendationDecision",
        "DecisionEnum": "bangfu.funds.models.ApprovalDecision",  # keeps the funds API's name for its decisions
        # care API (bangfu/care/api.py): counselling sessions have a "kind" too
        "CounsellingSessionKindEnum": "bangfu.care.models.SessionKind",
        # issue 6 apps: imports, cross-checks, economic checks and monitoring each have a "state" (and some a
        # "mode" or an "outcome"); helpers' "mode" keeps its own name
        "HelperModeEnum": "bangfu.helpers.models.HelperMode",
        "HouseholdStateEnum": "bangfu.registry.models.State",
        "ImportModeEnum": "bangfu.imports.models.ImportJob.Mode",
        "ImportJobStateEnum": "bangfu.imports.models.ImportJob.State",
        "SnapshotStateEnum": "bangfu.crosscheck.models.SnapshotState",
        "CheckRunStateEnum": "bangfu.crosscheck.models.RunState",
        "FindingStateEnum": "bangfu.crosscheck.models.FindingState",
        "CheckRequestStateEnum": "bangfu.econcheck.models.RequestState",
        "ReviewStateEnum": "bangfu.monitoring.models.ReviewState",
        "SpotOutcomeEnum": "bangfu.monitoring.models.SpotOutcome",
        "ExitSuggestionStateEnum": "bangfu.monitoring.models.SuggestionState",
        "RelapseWatchStateEnum": "bangfu.monitoring.models.WatchState",
        "RelapseOutcomeEnum": "bangfu.monitoring.services.relapse.OUTCOMES",
        "RightsCaseOutcomeEnum": "bangfu.rights.models.CaseOutcome",
        "ObjectionOutcomeEnum": "bangfu.registry.models.lifecycle.ObjectionOutcome",
        # service platform API (bangfu/services/api*.py): items, providers and pair rules each have a "kind"; care
        # has an "urgency" too
        "ServiceItemKindEnum": "bangfu.services.models.ItemKind",
        "ProviderKindEnum": "bangfu.services.models.ProviderKind",
        "PairRuleKindEnum": "bangfu.services.models.PairRule.Kind",
        "ServiceUrgencyEnum": "bangfu.services.models.Urgency",
        "ServiceRequestStateEnum": "bangfu.services.models.RequestState",
        "RoundRequestReasonEnum": "bangfu.services.models.RoundRequest.Reason",
        "ProviderDecisionEnum": "bangfu.services.api_serializers.PROVIDER_DECISIONS",
    },
}

# --- Encryption of sensitive fields (key from the environment; dev key generated under var/). ---
_dev_field_key = VAR_DIR / "dev-field-keys"
FIELD_ENCRYPTION_KEYS = env_list("BANGFU_FIELD_KEYS", "")
if not FIELD_ENCRYPTION_KEYS and not PRODUCTION:
    if not _dev_field_key.exists():
        import base64
        import os as _os

        _dev_field_key.write_text(base64.urlsafe_b64encode(_os.urandom(32)).decode())
    FIELD_ENCRYPTION_KEYS = [_dev_field_key.read_text().strip()]
# Keyed hash of identity numbers (uniqueness, exact search, joins with government data).
_dev_hash_key = VAR_DIR / "dev-hash-key"
IDENTITY_HASH_KEY = env_str("BANGFU_HASH_KEY")
if not IDENTITY_HASH_KEY and not PRODUCTION:
    if not _dev_hash_key.exists():
        import secrets as _secrets

        _dev_hash_key.write_text(_secrets.token_urlsafe(32))
    IDENTITY_HASH_KEY = _dev_hash_key.read_text().strip()

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "bangfu@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

BANGFU = {
    "DEMO_MODE": DEMO_MODE,
    "PLATFORM_NAME": _("Bangfu · Help for workers in hardship"),
    # Prefix of links in e-mailed notices (e.g. https://bangfu.example.org); empty: paths only.
    "BASE_URL": env_str("BANGFU_BASE_URL", ""),
}
# Text messages (bangfu.notifications.sms): the backend class; the console one prints them.
BANGFU_SMS_BACKEND = env_str("BANGFU_SMS_BACKEND", "bangfu.notifications.sms.ConsoleSmsBackend")
# Helping households (DOMAIN.md §4, §8): hours a crisis case may wait for a counsellor before it is escalated
# one level up, and how many days ahead a measure counts as "due" on the work lists.
CARE_CRISIS_RESPONSE_HOURS = env_int("BANGFU_CRISIS_RESPONSE_HOURS", 24)
PLANS_DUE_SOON_DAYS = env_int("BANGFU_MEASURES_DUE_SOON_DAYS", 7)
# Lifecycle of hardship archives (DOMAIN.md §3): every number is a setting (bangfu.registry.lifecycle).
REGISTRY_NOTICE_DAYS = env_int("BANGFU_NOTICE_DAYS", 7)  # public notice, calendar days
REGISTRY_REFUSAL_NOTIFY_WORKING_DAYS = env_int("BANGFU_REFUSAL_NOTIFY_DAYS", 3)
REGISTRY_CHAIN_WORKING_DAYS = env_int("BANGFU_CHAIN_WORKING_DAYS", 25)
REGISTRY_RELAPSE_MONITORING_MONTHS = env_int("BANGFU_RELAPSE_MONITORING_MONTHS", 12)
REGISTRY_ANONYMISE_AFTER_YEARS = env_int("BANGFU_ANONYMISE_AFTER_YEARS", 10)
LOGIN_URL_PATH = "/accounts/login/"
# Lockout is per account (5 failures, 30 min). Locking per IP would shut out a whole union office
# behind one NAT address; brute force across accounts is limited at the reverse proxy instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
