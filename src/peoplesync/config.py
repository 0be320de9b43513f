"""Settings: one typed object, built at start-up and passed down (never read at import)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_DATABASE_FILE = "peoplesync.db"


class Settings(BaseSettings):
    """Every knob of the service. Environment variables are `PEOPLESYNC_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix="PEOPLESYNC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATABASE_FILE}",
        description="SQLAlchemy URL; a SQLite file in the working directory by default.",
    )
    # Key for credentials at rest (Fernet, urlsafe base64 of 32 bytes). When unset, a key file is
    # created on first use (embedded default): `secret_key_file`, else beside the SQLite
    # database (the data folder), else in the working directory. Set the key in production.
    # Connections one process (the web app, a worker) keeps to a networked database: a pool of
    # `database_pool_size`, and up to `database_max_overflow` more at a peak (README: budgets).
    database_pool_size: int = Field(default=5, ge=1, le=100)
    database_max_overflow: int = Field(default=5, ge=0, le=100)
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    log_level: str = "INFO"
    log_json: bool = False

    # Merge / HRIS
    merge_base_url: str = "https://api.merge.dev/api"
    merge_api_key: SecretStr | None = None
    merge_page_size: int = 100
    merge_timeout_seconds: float = 30.0
    merge_max_retries: int = 5
    merge_backoff_cap_seconds: float = 30.0
    merge_webhook_key: SecretStr | None = None
    # Merge's request budget per linked account (100, 400 or 600 a minute by plan; None: not
    # paced, 429s wait out Retry-After), and how many created_at windows a first sync walks at
    # once (None: as many as the budget can keep busy, one without a budget).
    merge_rate_limit_per_minute: int | None = None
    merge_fetch_windows: int | None = None
    # Merge Link's script for the connect flow (None: Merge's CDN for a merge.dev base URL, else
    # <merge_base_url without /api>/link/initialize.js: the sandbox's stand-in).
    merge_link_script_url: str | None = None

    # Jobs (Huey): "sqlite" (embedded) or "redis"
    queue_backend: str = "sqlite"
    queue_sqlite_path: Path = Path("peoplesync-queue.db")
    redis_url: str = "redis://127.0.0.1:6379/0"
    # The daily fan-out: the accounts due at one time start over this many minutes, each at a
    # fixed offset of its own (the same every day), not as one thundering herd; 0: all at once.
    autosync_spread_minutes: int = Field(default=15, ge=0, le=120)

    # Web
    base_url: str = "http://127.0.0.1:8000"
    # Opens the operator's view of every account (/operator, /api/v1/operator/fleet, not an
    # account's login); None: that view is off.
    operator_token: SecretStr | None = None
    cookie_secure: bool = False

    # Email (empty host: the embedded outbox)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_sender: str = "peoplesync@localhost"


KEY_FILE_NAME = ".peoplesync-secret.key"


def key_file(settings: Settings) -> Path:
    """Where the embedded default keeps its key: beside the SQLite database it seals for."""
    if settings.secret_key_file is not None:
        return settings.secret_key_file
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / KEY_FILE_NAME
    return Path(KEY_FILE_NAME)


def load_settings(**overrides: object) -> Settings:
    """Build the settings once at start-up; keyword overrides win over the environment."""
    return Settings(**overrides)  # type: ignore[arg-type]


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as the environment a child process (the supervised worker) reads them from:
    `PEOPLESYNC_<NAME>` for each one set (secrets included: the child's environment is readable
    by its own user only, as the parent's is)."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        env[f"PEOPLESYNC_{name.upper()}"] = text
    return env
