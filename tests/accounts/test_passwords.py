"""Passwords: common and patterned ones are refused wherever a password is set; API tokens
and the rest of what survives a password change is decided in docs/security.md."""

from __future__ import annotations

import pytest

from sangdam.accounts.service import check_new_password, create_user
from sangdam.kit.errors import BadRequest
from tests.fixtures.factories import PASSWORD, World

WEAK = [
    "12345678",  # what the outside probe set
    "password1",
    "qwertyuiop",
    "iloveyou123",
    "11111111111",
    "abcd1234",
    "P@ssw0rd",  # l33t of a common one
    "1q2w3e4r",  # keyboard walk, very common in Korea
    "2024-12-25",  # a date
]


@pytest.mark.parametrize("password", WEAK)
def test_common_and_patterned_passwords_are_refused(password: str) -> None:
    with pytest.raises(BadRequest) as refused:
        check_new_password(password)
    assert refused.value.code == "weak_password"
    assert refused.value.message.startswith(("Choose another password", "Choose a password"))


def test_the_users_own_email_and_name_make_a_weak_password() -> None:
    for password in ("cloudgate2024", "minsookim123"):
        check_new_password(password)  # fine for anyone else
        with pytest.raises(BadRequest):
            check_new_password(password, user_inputs=("minsoo.kim@cloudgate.kr", "Minsoo Kim"))


def test_strong_passwords_pass() -> None:
    for password in (
        PASSWORD,
        "a-new-long-password",
        "푸른 하늘 은하수 하얀 쪽배",
        "Tr0ub4dor&3x!",
    ):
        check_new_password(password)


async def test_creating_a_user_checks_the_password(world: World) -> None:
    async with world.server.db.transaction() as session:
        with pytest.raises(BadRequest) as refused:
            await create_user(session, email="weak@example.com", name="Weak", password="12345678")
    assert refused.value.code == "weak_password"


async def test_changing_to_a_weak_password_is_refused(world: World) -> None:
    login = await world.login(world.agent)
    response = await login.client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "12345678"},
        headers=login.headers(),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    assert "common" in response.json()["message"]
    # Nothing changed: the session lives on and the old password still works.
    assert (await login.client.get("/api/v1/me")).status_code == 200
    await world.login(world.agent)


async def test_api_tokens_survive_their_creators_password_change(world: World) -> None:
    """Decided (docs/security.md): a token is the workspace's integration credential, not
    the person's session; it ends when revoked, not when its creator changes a password."""
    login = await world.login()
    created = await login.client.post(
        f"{world.base}/api-tokens", json={"name": "CRM sync"}, headers=login.headers()
    )
    assert created.status_code == 201
    changed = await login.client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "another-long-passphrase"},
        headers=login.headers(),
    )
    assert changed.status_code == 204
    api = {"Authorization": f"Bearer {created.json()['token']}"}
    assert (await login.client.get(f"{world.base}/conversations", headers=api)).status_code == 200
