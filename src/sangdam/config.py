"""Typed settings: one object, nested groups, environment prefix ``SANGDAM_``.

``SANGDAM_DATABASE_URL`` and ``SANGDAM_REDIS_URL`` switch between the embedded
default (SQLite, one process, in-memory fan-out) and the scale-out setup
(PostgreSQL + Redis, many processes). Nested groups use a double underscore:
``SANGDAM_REALTIME__MAX_MESSAGE_CHARS=8000``.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


class ServerSettings(BaseModel):
    # Loopback by default so a first run never exposes an unconfigured instance.
    host: str = "127.0.0.1"
    # 8000 is what most Python web tools use; nothing else in Sangdam listens.
    port: int = 8000
    # Where browsers reach this instance; used for links in printed URLs and
    # for the WebSocket origin check. Empty means "http://{host}:{port}".
    public_url: str = ""
    # Behind a TLS-terminating proxy cookies must be Secure; locally they can't be.
    secure_cookies: bool = False
    # Spoofable headers (X-Forwarded-For) are trusted only from these proxies.
    trusted_proxies: list[str] = Field(default_factory=list)
    # On SIGTERM a node stops accepting, asks its sockets to reconnect elsewhere (1012),
    # and waits this long for requests, sockets and jobs to finish before it exits. Below
    # the 30 s systemd gives a stopping unit (TimeoutStopSec in docs/deploy).
    shutdown_seconds: float = 20.0
    # Prometheus sends it as a bearer token. Empty: /metrics answers only to a loopback
    # address that connects directly (a scraper on the same machine), never through a proxy.
    metrics_token: SecretStr = SecretStr("")


class RealtimeSettings(BaseModel):
    # Long enough for a detailed customer question, short enough that one
    # frame can't balloon memory or the agent's screen.
    max_message_chars: int = 5000
    # A WebSocket frame larger than this is refused before it is parsed.
    max_frame_bytes: int = 64 * 1024
    # Per-workspace events kept for agent resume; a client further behind
    # resynchronises from a snapshot instead.
    history_size: int = 5000
    # Below the 60 s idle cut of common NATs and proxies (Zulip uses 45 s).
    heartbeat_seconds: float = 25.0
    # A socket silent for this long is considered dead and closed.
    idle_timeout_seconds: float = 75.0
    # A socket that hasn't authenticated by then is closed.
    auth_timeout_seconds: float = 10.0
    # Conversations one widget ``hello`` may name: a visitor has a handful open; more is
    # a probe that would make one frame cost thousands of rows.
    max_hello_conversations: int = 100
    # An open agent socket re-checks its sign-in (session, token, membership) before a
    # command or heartbeat answer at most this often; sign-outs, password changes and
    # revoked tokens also close sockets at once through the broker.
    credential_recheck_seconds: float = 5.0


class SecuritySettings(BaseModel):
    # Failed logins allowed per email+address before a pause (OWASP guidance). A browser
    # the user signed in with before (trusted device cookie) has its own count instead,
    # so strangers' guesses never lock the real user out of it.
    login_max_failures: int = 5
    # Failed logins allowed from one address, whatever the emails (password spraying).
    # An office behind one address mistypes far less than this in 15 minutes.
    login_max_failures_per_address: int = 20
    # Failed logins allowed for one account from all addresses together (a botnet).
    login_max_failures_per_account: int = 50
    # How long failures count: the pause after the limit is at most this.
    login_window_seconds: int = 15 * 60
    # A browser stays trusted this long after its last sign-in (half a year).
    trusted_device_days: int = 180
    # Agent sessions last a working fortnight; a password change ends them all.
    session_days: int = 14


class RateLimitSettings(BaseModel):
    """What the public may do per visitor, per client address and per workspace: the
    widget, the help center's search and inbound email (kit/ratelimit.py). Shared by all
    processes through Redis when it is set. A refusal is 429 with Retry-After, or an
    error frame on the widget socket. 0 turns one limit off.

    The client address honours ``server.trusted_proxies`` only; behind a proxy that is
    not listed, every customer shares the proxy's address and its limits.
    """

    # Off only for load tests that send from one address far faster than people do.
    enabled: bool = True
    # New anonymous visitors per address per hour. A browser creates one and keeps it;
    # the room is for offices and mobile carriers that put many people behind one
    # address (carrier-grade NAT).
    visitors_per_address_per_hour: int = 300
    # New visitors per workspace per minute: 20 a second, far above a campaign's rush,
    # low enough that a flood from many addresses can't fill the contacts table.
    visitors_per_workspace_per_minute: int = 1200
    # Conversations one visitor starts per hour: a customer starts a few, a script 60.
    conversations_per_visitor_per_hour: int = 20
    # Conversations started per address per hour (many customers behind one NAT).
    conversations_per_address_per_hour: int = 300
    # Conversations started per workspace per minute; a busy shop sees a few a minute.
    conversations_per_workspace_per_minute: int = 600
    # Messages one visitor sends per minute, over HTTP and the socket together: a burst
    # of 30, then one every 2 s. A person typing never gets there.
    messages_per_visitor_per_minute: int = 30
    # Messages per address per minute (everyone behind one NAT together).
    messages_per_address_per_minute: int = 600
    # Customers' messages per workspace per minute: 200 a second, above any support
    # team's traffic; it keeps one tenant's flood from taking every other's capacity.
    messages_per_workspace_per_minute: int = 12000
    # Sangdam.boot identity checks per visitor per minute; a page sends one per load.
    identify_per_visitor_per_minute: int = 20
    # Identity checks per address per minute.
    identify_per_address_per_minute: int = 300
    # Sangdam.track events per address per minute (per visitor it is
    # contacts.events_per_minute).
    events_per_address_per_minute: int = 1200
    # Searches per address per minute: the help center's and the widget's article search
    # (each costs a scan of the workspace's articles).
    searches_per_address_per_minute: int = 120
    # Inbound emails from one sender address per hour: a customer writes a few; a loop
    # between two autoresponders writes hundreds.
    emails_per_sender_per_hour: int = 60
    # Account links from one address per hour: first-run setup, accepting invitations,
    # asking for and using password-reset links. A person needs a handful; guessing
    # links or mailing a stranger again and again needs many.
    account_actions_per_address_per_hour: int = 30
    # "Forgot password" emails to one address per hour, so the form can't flood anyone.
    reset_emails_per_recipient_per_hour: int = 3
    # Inbound emails per workspace per minute.
    emails_per_workspace_per_minute: int = 300
    # Messenger webhook deliveries (Telegram, LINE) per channel account per minute: 200 a
    # second, far above a support desk's traffic, so one account's flood can't take the rest.
    webhooks_per_channel_per_minute: int = 12000
    # Webhook deliveries per sending address per minute, whatever the account: the
    # platforms send from a few addresses; made-up webhook keys from one address stop here.
    webhooks_per_address_per_minute: int = 12000


class OutboundSettings(BaseModel):
    # Calls to admin-configured URLs (Slack, webhooks) may not reach internal
    # addresses (SSRF); turn on only for a trusted on-premises setup.
    allow_private: bool = False
    # How long a Slack post or webhook call may take. A call that times out is retried,
    # and if the receiver had taken it after all, Slack shows it twice (webhooks can drop
    # the repeat by X-Sangdam-Delivery); Slack sometimes answers after 10 s, rarely 30.
    post_timeout_seconds: float = 30.0
    # Background jobs look for work this often when idle.
    job_poll_seconds: float = 1.0


class RoutingSettings(BaseModel):
    # How often each process requeues unanswered or abandoned chats and fills free seats.
    # Short enough that a customer never waits on it long; cheap (a few queries per team).
    sweep_seconds: float = 15.0


class EmailSettings(BaseModel):
    """The email channel: replies to offline messages by SMTP, customers' answers back in.

    ``SANGDAM_EMAIL__HOST=smtp.example.com SANGDAM_EMAIL__FROM_ADDRESS=support@example.com``
    turns outgoing mail on; ``SANGDAM_EMAIL__LISTEN=true`` starts the inbound listener.
    """

    # SMTP server that sends mail. Empty: email is off and nothing is sent (replies still
    # reach the widget); most hosted providers give a submission host such as smtp.example.com.
    host: str = ""
    # 587 is the standard submission port (RFC 6409) that every provider offers.
    port: int = 587
    # SMTP login; empty skips AUTH (a local relay on a trusted network needs none).
    username: str = ""
    # Kept out of logs and reprs; set it through the environment, not a file in git.
    password: SecretStr = SecretStr("")
    # Upgrade the submission connection with STARTTLS, as port 587 expects; off only for a
    # local relay (or a test server) that speaks plain SMTP.
    starttls: bool = True
    # Implicit TLS from the first byte (port 465) instead of STARTTLS.
    use_tls: bool = False
    # The sender of every mail, e.g. support@example.com; the display name is the agent's
    # name and the workspace's. Empty: email is off.
    from_address: str = ""
    # The domain whose mail reaches Sangdam's listener (its MX points here). Reply-To is
    # reply+<token>@<domain> and Message-IDs end in it. Empty: the from address's domain.
    inbound_domain: str = ""
    # Seconds to wait for the SMTP server before the job retries later.
    timeout_seconds: float = 30.0
    # Off by default: an SMTP port is opened only by an operator who routed mail to it.
    listen: bool = False
    # Loopback by default: put a real MTA (Postfix) in front and relay to it, or bind 0.0.0.0.
    listen_host: str = "127.0.0.1"
    # 2525, not 25: binding 25 needs root, and an MTA in front usually owns it.
    listen_port: int = 2525
    # Customer replies are text; 10 MB leaves room for a quoted thread and a photo while
    # refusing (552) anything that would only fill the disk.
    max_inbound_bytes: int = 10 * 1024 * 1024

    @property
    def sending(self) -> bool:
        return bool(self.host and self.from_address)

    @property
    def domain(self) -> str:
        return (self.inbound_domain or self.from_address.rpartition("@")[2] or "localhost").lower()


class ChannelSettings(BaseModel):
    """Messenger channels (Telegram, LINE): their credentials are encrypted at rest.

    ``SANGDAM_CHANNELS__SECRET_KEYS`` holds Fernet keys, comma-separated; the first encrypts,
    every one decrypts, so a key is rotated by putting the new one first. Make one with
    ``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``.
    """

    # Empty: no messenger channel can be connected (credentials are never stored in clear).
    secret_keys: SecretStr = SecretStr("")
    # The Bot API's documented address; a test (or a local Bot API server) sets its own.
    telegram_api_url: str = "https://api.telegram.org"
    # The Messaging API's documented address (api.line.me); tests set a local one.
    line_api_url: str = "https://api.line.me"
    # A messenger API slower than this is treated as down; the reply job retries later.
    send_timeout_seconds: float = 15.0
    # Webhook bodies larger than this are refused (413): a text update is a few KB.
    max_webhook_bytes: int = 256 * 1024


class ContactSettings(BaseModel):
    # Page views and tracked events older than this are purged: enough for a
    # support history (half a year), short enough to keep the table small.
    event_retention_days: int = 180
    # Sangdam.track calls allowed per contact per minute; a buggy page loop can't
    # flood the table, a real visitor never gets near it.
    events_per_minute: int = 60
    # An expiring memberToken may live at most this long: longer is a static hash again.
    member_token_max_seconds: int = 24 * 3600
    # The external-data card is cached this long per member: the agent sees fresh
    # orders, the company's system isn't called on every click.
    external_cache_seconds: float = 60.0
    # The company's endpoint must answer within this, or the card says it is slow.
    external_timeout_seconds: float = 3.0


class LogSettings(BaseModel):
    """How lines are written; ``log_level`` says which. Nothing at info level carries a
    message body, a token, a password or a cookie."""

    # Plain text reads best in a terminal; "json" (one object a line, with request and
    # connection ids and the workspace id) is what journald, Loki and Elasticsearch index.
    format: Literal["text", "json"] = "text"
    # Levels for single loggers over ``log_level``, e.g.
    # SANGDAM_LOGS__LEVELS='{"sangdam.realtime": "debug", "sangdam.http": "warning"}'.
    # Empty: every logger at ``log_level``, except Alembic's plugin list (warning).
    levels: dict[str, str] = Field(default_factory=dict)

    @field_validator("levels")
    @classmethod
    def _known_levels(cls, value: dict[str, str]) -> dict[str, str]:
        for name, level in value.items():
            if level.lower() not in LOG_LEVELS:
                raise ValueError(
                    f"the level {level!r} for {name!r} is not one of {', '.join(LOG_LEVELS)}"
                )
        return {name: level.lower() for name, level in value.items()}


class DemoSettings(BaseModel):
    # `sangdam run` seeds a demo workspace on first start so there is something to click.
    seed: bool = True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SANGDAM_", env_nested_delimiter="__", extra="ignore"
    )

    # Embedded default: one SQLite file next to where Sangdam was started.
    database_url: str = "sqlite:///./var/sangdam.sqlite3"
    # Unset: fan-out stays in this process. Set it to scale out across processes.
    redis_url: str | None = None
    # SQLite durability: FULL fsyncs every commit, so an acknowledged message
    # survives power loss, not only a crash. NORMAL trades that for speed.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    # Connections per process to PostgreSQL; two cores rarely need more.
    database_pool_size: int = 20
    # Info tells what a node did (requests, sockets, jobs) without any message's content.
    log_level: str = "info"

    server: ServerSettings = Field(default_factory=ServerSettings)
    realtime: RealtimeSettings = Field(default_factory=RealtimeSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    channels: ChannelSettings = Field(default_factory=ChannelSettings)
    contacts: ContactSettings = Field(default_factory=ContactSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    logs: LogSettings = Field(default_factory=LogSettings)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not one of {', '.join(LOG_LEVELS)}")
        return value.lower()

    @field_validator("redis_url")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @cached_property
    def async_database_url(self) -> str:
        """The URL with the async driver SQLAlchemy needs."""
        url = self.database_url
        for prefix, driver in (
            ("postgresql+asyncpg://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite+aiosqlite://", "sqlite+aiosqlite://"),
            # Sangdam's own driver: statements on the loop, commits in a thread (kit/sqlite.py).
            ("sqlite+sangdam://", "sqlite+sangdam://"),
            ("sqlite://", "sqlite+sangdam://"),
        ):
            if url.startswith(prefix):
                return driver + url[len(prefix) :]
        raise ValueError(
            f"SANGDAM_DATABASE_URL must start with sqlite:// or postgresql://, got {url!r}"
        )

    @property
    def is_sqlite(self) -> bool:
        return self.async_database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.async_database_url.split(":///", 1)[1]
        return None if path in ("", ":memory:") else Path(path)

    @property
    def base_url(self) -> str:
        return (self.server.public_url or f"http://{self.server.host}:{self.server.port}").rstrip(
            "/"
        )
