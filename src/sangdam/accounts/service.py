"""Users, passwords, browser sessions and the login rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.accounts.models import LoginFailure, User, WebSession
from sangdam.accounts.repository import AccountRepository
from sangdam.config import SecuritySettings
from sangdam.db import utcnow
from sangdam.errors import BadRequest, TooManyRequests, Unauthorized
from sangdam.kit.secrets import hash_token, new_token

_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps timing uniform.
_DUMMY_HASH = _hasher.hash("sangdam-timing-equaliser")

MIN_PASSWORD_LENGTH = 8
LOCALES = ("ko", "en")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
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


async def create_user(
    session: AsyncSession, *, email: str, name: str, password: str, locale: str = "ko"
) -> User:
    repository = AccountRepository(session)
    email = normalise_email(email)
    if await repository.user_by_email(email) is not None:
        raise BadRequest(f"A user with the email {email} already exists.")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password))
    user.locale = locale if locale in LOCALES else "ko"
    session.add(user)
    await session.flush()
    return user


def _failure_key(email: str, client_address: str) -> str:
    return hashlib.sha256(f"{email}|{client_address}".encode()).hexdigest()


async def authenticate(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    client_address: str,
    settings: SecuritySettings,
) -> User | None:
    """Check a password, counting failures per email and address.

    Returns None on a wrong password, with the failure recorded in the session:
    the caller commits before refusing, so the limit holds.
    """
    repository = AccountRepository(session)
    email = email.strip().lower()
    key = _failure_key(email, client_address)
    since = utcnow() - dt.timedelta(seconds=settings.login_window_seconds)
    if await repository.count_failures(key, since) >= settings.login_max_failures:
        minutes = settings.login_window_seconds // 60
        raise TooManyRequests(
            f"Too many failed sign-in attempts. Wait {minutes} minutes and try again, "
            "or ask an admin to reset your password."
        )
    user = await repository.user_by_email(email)
    if user is None:
        _verify(_DUMMY_HASH, password)
    elif _verify(user.password_hash, password):
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return user
    session.add(LoginFailure(key=key))
    return None


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
    await AccountRepository(session).delete_session(hash_token(token))


async def change_password(session: AsyncSession, user: User, *, current: str, new: str) -> None:
    """Change a password and sign out every session minted before it."""
    if not _verify(user.password_hash, current):
        raise Unauthorized("The current password is not right.", code="bad_credentials")
    user.password_hash = hash_password(new)
    user.auth_version += 1


async def set_locale(user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise BadRequest(f"Choose one of the languages: {', '.join(LOCALES)}.")
    user.locale = locale
