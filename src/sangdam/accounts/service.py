"""Users, passwords, browser sessions and the login rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession
from zxcvbn import zxcvbn

from sangdam.accounts.models import (
    LoginFailure,
    PasswordReset,
    TrustedDevice,
    User,
    UserAvatar,
    WebSession,
)
from sangdam.accounts.repository import AccountRepository
from sangdam.config import SecuritySettings
from sangdam.db import utcnow
from sangdam.events.service import credentials_ended
from sangdam.jobs.service import enqueue
from sangdam.kit.errors import (
    BadRequest,
    Forbidden,
    PayloadTooLarge,
    TooManyRequests,
)
from sangdam.kit.secrets import hash_token, new_token

_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps timing uniform.
_DUMMY_HASH = _hasher.hash("sangdam-timing-equaliser")

MIN_PASSWORD_LENGTH = 8
# zxcvbn's scale: 3 is "safely unguessable: moderate protection from offline slow-hash
# scenario" (its authors' advice for a minimum); 0-2 are common or patterned passwords.
MIN_PASSWORD_SCORE = 3
# zxcvbn's matching grows with the length; what lies past this only adds strength.
_SCORED_CHARACTERS = 100
LOCALES = ("ko", "en")


def check_new_password(password: str, *, user_inputs: Sequence[str] = ()) -> None:
    """Refuse a password that is short, common, or a pattern guessers try first.

    The one check for every place a password is set (sign-up, change, invitations,
    resets). ``user_inputs``: the user's email and name, which make a weak password too.
    zxcvbn (Dropbox's estimator) knows the common-password lists, keyboard walks,
    dates, repeats and l33t substitutions.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(
            "Choose a password of at least {length} characters.",
            code="weak_password",
            values={"length": MIN_PASSWORD_LENGTH},
        )
    inputs = [
        part for value in user_inputs for part in (value, *re.split(r"[\W_]+", value)) if part
    ]
    result = zxcvbn(password[:_SCORED_CHARACTERS], user_inputs=inputs)
    if result["score"] < MIN_PASSWORD_SCORE:
        feedback = result["feedback"]
        warning = str(feedback["warning"] or "It is too easy to guess.").rstrip(".") + "."
        hints = " ".join(str(hint) for hint in feedback["suggestions"])
        # zxcvbn's own words are English; the rest of the message is translated.
        raise BadRequest(
            "Choose another password: {problem} Three or four unrelated words make a strong one.",
            code="weak_password",
            values={"problem": f"{warning} {hints}".strip()},
        )


def hash_new_password(password: str, *, user_inputs: Sequence[str] = ()) -> str:
    """Check ``password`` (``check_new_password``) and return its argon2 hash."""
    check_new_password(password, user_inputs=user_inputs)
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise BadRequest("Enter an email address such as name@example.com.")
    return email


# One plain address: no spaces, brackets, commas or quotes that could add recipients.
_MAILABLE = re.compile(
    r"[^@\s<>,;:\"()\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,63}"
)


def mailable(address: str) -> bool:
    """Whether mail can go to ``address`` as it is: one plain address."""
    return len(address) <= 320 and _MAILABLE.fullmatch(address) is not None


async def create_user(
    session: AsyncSession, *, email: str, name: str, password: str, locale: str = "ko"
) -> User:
    repository = AccountRepository(session)
    email = normalise_email(email)
    if await repository.user_by_email(email) is not None:
        raise BadRequest("A user with the email {email} already exists.", values={"email": email})
    password_hash = hash_new_password(password, user_inputs=(email, name))
    user = User(email=email, name=name.strip(), password_hash=password_hash)
    user.locale = locale if locale in LOCALES else "ko"
    session.add(user)
    await session.flush()
    return user


def _key(kind: str, *parts: str) -> str:
    return hashlib.sha256("|".join((kind, *parts)).encode()).hexdigest()


@dataclass
class SignIn:
    """What a sign-in attempt came to: the user (None: wrong email or password) and the
    trusted-device cookie to set (a new browser, or None to keep the one it sent)."""

    user: User | None
    device_token: str | None = None


async def _refuse_if_limited(
    repository: AccountRepository, limits: dict[str, int], settings: SecuritySettings
) -> None:
    since = utcnow() - dt.timedelta(seconds=settings.login_window_seconds)
    counts = await repository.counts_of_failures(list(limits), since)
    over = [key for key, limit in limits.items() if counts[key] >= limit]
    if not over:
        return
    wait = 0.0
    for key in over:
        expiring = await repository.failure_expiring(key, since, counts[key] - limits[key])
        if expiring is not None:
            left = (expiring - since).total_seconds()
            wait = max(wait, left)
    minutes = max(1, math.ceil(wait / 60))
    raise TooManyRequests(
        "Too many failed sign-in attempts. Wait {minutes} minutes and try again, "
        "or sign in from a browser you used before.",
        values={"minutes": minutes},
        retry_after=max(1, math.ceil(wait)),
    )


async def authenticate(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    client_address: str,
    settings: SecuritySettings,
    device_token: str | None = None,
) -> SignIn:
    """Check a password, counting failures so that guessing is slow and nobody else
    can lock the real user out.

    A stranger's browser is limited per email+address, per address (spraying many
    emails) and per account (many addresses). A browser the user signed in with before
    (``device_token``, the trusted-device cookie) is counted on its own instead: the
    user keeps signing in there while strangers are locked out (OWASP "device cookies").
    A wrong password is recorded in the session; the caller commits before refusing.
    """
    repository = AccountRepository(session)
    email = email.strip().lower()
    user = await repository.user_by_email(email)
    device = None
    if device_token and user is not None:
        device = await repository.trusted_device(hash_token(device_token))
        if device is not None and (
            device.user_id != user.id
            or device.last_used_at < utcnow() - dt.timedelta(days=settings.trusted_device_days)
        ):
            device = None
    if device is not None:
        limits = {_key("device", str(device.id)): settings.login_max_failures}
    else:
        limits = {
            _key(email, client_address): settings.login_max_failures,
            _key("address", client_address): settings.login_max_failures_per_address,
            _key("account", email): settings.login_max_failures_per_account,
        }
    await _refuse_if_limited(repository, limits, settings)
    if user is None:
        _verify(_DUMMY_HASH, password)
    elif _verify(user.password_hash, password):
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        if device is not None:
            device.last_used_at = utcnow()
            return SignIn(user)
        token = new_token("sdd")
        # Browsers unused for the trust period are forgotten as new ones come.
        await repository.forget_devices(
            user.id, utcnow() - dt.timedelta(days=settings.trusted_device_days)
        )
        repository.add_device(TrustedDevice(user_id=user.id, token_hash=hash_token(token)))
        return SignIn(user, device_token=token)
    for key in limits:
        session.add(LoginFailure(key=key))
    return SignIn(None)


async def start_session(
    session: AsyncSession, user: User, *, user_agent: str, settings: SecuritySettings
) -> tuple[str, WebSession]:
    """Create a browser session; returns the cookie value (shown once) and the row."""
    token = new_token("sds")
    web_session = WebSession(
        user_id=user.id,
        token_hash=hash_token(token),
        csrf_token=secrets.token_urlsafe(32),
        auth_version=user.auth_version,
        expires_at=utcnow() + dt.timedelta(days=settings.session_days),
        user_agent=user_agent[:400],
    )
    session.add(web_session)
    await session.flush()
    return token, web_session


async def resolve_session(session: AsyncSession, token: str) -> tuple[User, WebSession] | None:
    found = await AccountRepository(session).session_with_user(hash_token(token))
    if found is None:
        return None
    user, web_session = found
    if web_session.expires_at <= utcnow() or web_session.auth_version != user.auth_version:
        return None
    return user, web_session


async def end_session(session: AsyncSession, token: str) -> None:
    web_session_id = await AccountRepository(session).delete_session(hash_token(token))
    if web_session_id is not None:
        # Its open inbox sockets close too, on every process, once this commits.
        credentials_ended(session, web_session_id=web_session_id)


async def change_password(session: AsyncSession, user: User, *, current: str, new: str) -> None:
    """Change a password and sign out every session minted before it."""
    if not _verify(user.password_hash, current):
        # 403, not 401: the session is fine (a 401 sends the inbox to the sign-in page).
        raise Forbidden("The current password is not right.", code="bad_credentials")
    user.password_hash = hash_new_password(new, user_inputs=(user.email, user.name))
    user.auth_version += 1
    credentials_ended(session, user_id=user.id)


async def set_locale(user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise BadRequest(
            "Choose one of the languages: {languages}.", values={"languages": ", ".join(LOCALES)}
        )
    user.locale = locale
    user.locale_chosen = True


def follow_browser_locale(user: User, browser_locale: str) -> None:
    """At sign-in: until the person picks a language, the inbox speaks their browser's."""
    if not user.locale_chosen and browser_locale in LOCALES:
        user.locale = browser_locale


# ---- forgotten passwords ------------------------------------------------------------------

PASSWORD_RESET_EMAIL = "accounts.password_reset_email"  # noqa: S105 (a job kind)
# Long enough to find the email, short enough that an old inbox doesn't hold a live key.
RESET_MINUTES = 60


def reset_link(base_url: str, secret: str) -> str:
    return f"{base_url}/reset-password/{secret}"


async def issue_password_reset(session: AsyncSession, user: User, base_url: str) -> str:
    """A one-time link to set a new password; every older link of the user stops working."""
    repository = AccountRepository(session)
    now = utcnow()
    for earlier in await repository.open_resets(user.id):
        earlier.used_at = now
    secret = new_token("sdr")
    repository.add_reset(
        PasswordReset(
            user_id=user.id,
            token_hash=hash_token(secret),
            expires_at=now + dt.timedelta(minutes=RESET_MINUTES),
        )
    )
    await session.flush()
    return reset_link(base_url, secret)


async def request_password_reset(
    session: AsyncSession, email: str, *, base_url: str, email_sending: bool
) -> None:
    """"Forgot password": mail a link if the address has an account.

    Says nothing about whether it has one (the caller answers the same either way), so
    the form can't be used to find out who has an account.
    """
    try:
        address = normalise_email(email)
    except BadRequest:
        return
    user = await AccountRepository(session).user_by_email(address)
    if user is None or not email_sending:
        return
    link = await issue_password_reset(session, user, base_url)
    # The secret lives only until the job ends (jobs.service.without_secrets).
    payload = {"user_id": user.id, "secret_link": link}
    enqueue(session, PASSWORD_RESET_EMAIL, payload, workspace_id=None)


async def reset_password(session: AsyncSession, secret: str, new_password: str) -> User:
    """Use a reset link: set the password, end every session, and spend the link."""
    repository = AccountRepository(session)
    reset = await repository.reset_by_hash(hash_token(secret))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise BadRequest(
            "This link to reset your password is no longer valid (links work once, for "
            "{minutes} minutes). Ask for a new one.",
            code="reset_invalid",
            values={"minutes": RESET_MINUTES},
        )
    user = await repository.user_by_id(reset.user_id)
    assert user is not None
    user.password_hash = hash_new_password(new_password, user_inputs=(user.email, user.name))
    user.auth_version += 1
    reset.used_at = utcnow()
    # Whoever knew the old password is signed out everywhere, sockets included.
    credentials_ended(session, user_id=user.id)
    return user


# ---- your own profile ---------------------------------------------------------------------

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_PIXELS = 128


def set_name(user: User, name: str) -> None:
    name = " ".join(name.split())
    if not name:
        raise BadRequest("Your name can't be empty.", code="name_required")
    user.name = name[:200]


async def set_avatar(session: AsyncSession, user: User, upload: bytes) -> None:
    """Store a picture as a small square PNG made from its pixels only: whatever else the
    upload carried (EXIF with GPS, scripts in an SVG, trailing data) is not kept."""
    png = avatar_png(upload)
    repository = AccountRepository(session)
    avatar = await repository.avatar(user.id)
    if avatar is None:
        repository.add_avatar(UserAvatar(user_id=user.id, png=png))
    else:
        avatar.png, avatar.updated_at = png, utcnow()


def avatar_png(upload: bytes) -> bytes:
    if len(upload) > AVATAR_MAX_BYTES:
        raise PayloadTooLarge(
            "The picture is larger than {megabytes} MB; choose a smaller one.",
            code="avatar_too_large",
            values={"megabytes": AVATAR_MAX_BYTES // (1024 * 1024)},
        )
    try:
        with Image.open(io.BytesIO(upload), formats=("PNG", "JPEG", "GIF", "WEBP")) as image:
            image.load()
            picture = ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise BadRequest(
            "That file is not a picture Sangdam can read: use a PNG, JPEG, GIF or WebP.",
            code="avatar_unreadable",
        ) from None
    square = ImageOps.fit(picture, (AVATAR_PIXELS, AVATAR_PIXELS))
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    return out.getvalue()


async def set_profile_name(session: AsyncSession, user: User, name: str) -> None:
    """Rename yourself; your memberships' display names follow unless a workspace gave
    you another one."""
    previous = user.name
    set_name(user, name)
    await AccountRepository(session).rename_memberships(user.id, previous, user.name)


async def remove_avatar(session: AsyncSession, user: User) -> None:
    avatar = await AccountRepository(session).avatar(user.id)
    if avatar is not None:
        await session.delete(avatar)
