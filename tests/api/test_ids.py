"""Ids out of range are refused at the edge, on every route and socket frame: never a 500.

The route walk reads the app's own routes (OpenAPI ones, the help center and the pages),
so a route added later is covered without touching this file.
"""

from __future__ import annotations

import json
import typing
from typing import Any

import httpx
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from websockets.asyncio.client import connect

from sangdam.kit.input import MAX_ID
from tests.fixtures.factories import IPHONE, Socket, World, new_client_id

# Past what the API takes, past a signed 64-bit integer, past an unsigned one, below 1.
OUT_OF_RANGE = [MAX_ID + 1, 2**63, 2**64, -1]


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    return any(_is_int(arg) for arg in typing.get_args(annotation))


def _int_params(routes: Any) -> list[tuple[str, str, str, str]]:
    """(method, path, where, name) of every integer path or query parameter."""
    found = []
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute):
            continue
        for param in get_flat_params(route.dependant):
            where = getattr(param.field_info, "in_", None)
            if where is None or not _is_int(param.field_info.annotation):
                continue
            for method in sorted(route.methods or ()):
                found.append((method, route.path_format, where.value, param.alias))
    return found


def _request(world: World, method: str, path: str, where: str, name: str, bad: int) -> str:
    """The URL with ``bad`` in parameter ``name`` and sensible values elsewhere."""
    values = {"workspace_id": world.workspace.id}
    url = path
    for part in path.split("{")[1:]:
        param = part.split("}")[0]
        value = bad if (where == "path" and param == name) else values.get(param, 1)
        url = url.replace("{" + param + "}", str(value))
    if where == "query":
        url += f"?{name}={bad}"
    return url


async def test_every_integer_parameter_refuses_out_of_range_ids(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    await visitor.start("hello")
    made = await login.client.post(
        f"{world.base}/api-tokens", json={"name": "ids"}, headers=login.headers()
    )
    token = made.json()["token"]
    params = _int_params(world.server.server.config.app.routes)
    assert len(params) > 60, "the route walk found too few parameters"
    failures = []
    async with httpx.AsyncClient(base_url=world.server.base_url, timeout=20) as client:
        for method, path, where, name in params:
            if path.startswith("/api/widget"):
                headers = {"Authorization": f"Bearer {visitor.token}"}
            elif path.startswith("/api/v1/workspaces"):
                headers = {"Authorization": f"Bearer {token}"}
            else:
                headers = {"Cookie": f"sangdam_session={login.cookie}", **login.headers()}
            for bad in OUT_OF_RANGE:
                url = _request(world, method, path, where, name, bad)
                response = await client.request(method, url, headers=headers, json={})
                if response.status_code >= 500 or response.status_code not in (404, 422):
                    failures.append(f"{method} {url}: {response.status_code} {response.text[:120]}")
    assert not failures, "\n".join(failures)


async def test_ids_in_bodies_are_refused_not_500(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hello"))["conversation"]["id"]
    agent_bodies = [
        ("POST", f"conversations/{conversation_id}/assignee", lambda bad: {"agent_id": bad}),
        ("POST", f"conversations/{conversation_id}/tags", lambda bad: {"tag_id": bad}),
        ("POST", f"conversations/{conversation_id}/read", lambda bad: {"seq": bad}),
        ("POST", f"conversations/{conversation_id}/transfer", lambda bad: {"team_id": bad}),
        ("POST", "teams", lambda bad: {"name": "Big ids", "member_ids": [bad]}),
        ("POST", "canned-responses/1/render", lambda bad: {"conversation_id": bad}),
        (
            "POST",
            "canned-responses",
            lambda bad: {
                "scope": "team",
                "team_id": bad,
                "shortcut": "x",
                "title": "x",
                "body": "x",
            },
        ),
    ]
    failures = []
    for method, path, body in agent_bodies:
        for bad in OUT_OF_RANGE:
            response = await login.client.request(
                method, f"{world.base}/{path}", json=body(bad), headers=login.headers()
            )
            if response.status_code != 422:
                failures.append(
                    f"{method} {path} {bad}: {response.status_code} {response.text[:120]}"
                )
    for bad in OUT_OF_RANGE:
        response = await visitor.client.post(
            f"/api/widget/v1/conversations/{conversation_id}/read", json={"seq": bad}
        )
        if response.status_code != 422:
            failures.append(f"widget read {bad}: {response.status_code} {response.text[:120]}")
    assert not failures, "\n".join(failures)


async def test_socket_frames_with_out_of_range_ids_get_an_error_frame(world: World) -> None:
    visitor = await world.visitor()
    conversation_id = (await visitor.start("hello"))["conversation"]["id"]
    sock = await visitor.socket({conversation_id: 1})
    for bad in OUT_OF_RANGE:
        for frame in (
            {
                "type": "message.send",
                "conversation_id": bad,
                "client_id": new_client_id(),
                "body": "x",
            },
            {"type": "read", "conversation_id": bad, "seq": 1},
            {"type": "read", "conversation_id": conversation_id, "seq": bad},
            {"type": "typing", "conversation_id": bad},
        ):
            # The stdlib encoder: orjson refuses numbers past 64 bits.
            await sock.send(json.dumps({**frame, "ref": "big"}))
            error = await sock.expect("error")
            assert error["code"] == "bad_frame", error
    # The socket survived every one of them.
    await sock.send({"type": "ping", "ref": "still-here"})
    assert (await sock.expect("pong"))["ref"] == "still-here"
    await sock.close()
    # A hello naming such a conversation is refused with a reason, not a bare close.
    for bad in OUT_OF_RANGE:
        ws = await connect(f"{world.server.ws_url}/ws/widget", user_agent_header=IPHONE)
        raw = Socket(ws)
        await raw.send(
            json.dumps({"type": "hello", "token": visitor.token, "conversations": {bad: 0}})
        )
        frame = await raw.recv()
        assert frame["type"] == "error" and frame["code"] == "bad_frame", frame
        await raw.close()
