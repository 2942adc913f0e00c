"""WebSocket endpoints: authenticate, subscribe, resume, forward, heartbeat.

Both endpoints apply the same checks as HTTP: agents must belong to the
workspace they ask for (cookie sessions also need a same-origin request),
visitors only ever reach their own contact's conversations.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.auth.dependencies import AgentContext, bearer, resolve_agent, sangdam
from sangdam.contacts.models import Contact
from sangdam.contacts.schemas import PageContext
from sangdam.contacts.service import authenticate_visitor, record_visit
from sangdam.conversations.schemas import visitor_view
from sangdam.conversations.service import (
    load,
    mark_read_by_agent,
    mark_read_by_contact,
)
from sangdam.events.schemas import Event, EventType
from sangdam.kit import logs
from sangdam.kit.errors import BadRequest, Forbidden, NotFound, SangdamError, Unauthorized
from sangdam.kit.input import clean_text
from sangdam.kit.metrics import ACK_SECONDS
from sangdam.knowledge.service import warm_index
from sangdam.messages.service import agent_message, send_as_agent, visitor_message
from sangdam.realtime import protocol
from sangdam.realtime.hub import (
    AgentConnection,
    Connection,
    SignedIn,
    VisitorConnection,
    newer_than,
)
from sangdam.routing import service as routing
from sangdam.widget.service import (
    append_live_message,
    known_positions,
    missed_in_each,
    own_conversation,
    receive_message,
)
from sangdam.workspaces.repository import AgentRepository

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013
# The frame asked for more than one frame may (RFC 6455 "policy violation").
CLOSE_POLICY = 1008
PRESENCE_WRITE_SECONDS = 20.0


def _error(exc: SangdamError, ref: str | None = None) -> dict[str, Any]:
    return {"type": "error", "ref": ref, **exc.as_dict()}


def _ref_of(data: Any) -> str | None:
    """The ref an error about this frame carries: the one its ack would carry (a send
    without ``ref`` is acked with its ``client_id``), so a client can tell which failed."""
    if not isinstance(data, dict):
        return None
    ref = data.get("ref")
    if not (isinstance(ref, str) and ref) and data.get("type") == "message.send":
        ref = data.get("client_id")
    return clean_text(ref[:64]) if isinstance(ref, str) and ref else None


def _internal_error() -> SangdamError:
    return SangdamError(
        "Something went wrong on the server while handling this. Try again; a message "
        "sent again with the same client_id is never stored twice.",
        code="internal_error",
    )


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers always send Origin; a cookie-authenticated socket must come from our pages."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    allowed = {urlsplit(sangdam(websocket).settings.base_url).netloc}
    host = websocket.headers.get("host")
    if host:
        allowed.add(host)
    return urlsplit(origin).netloc in allowed


async def _refuse(websocket: WebSocket, exc: SangdamError, code: int) -> None:
    await websocket.accept()
    await websocket.send_bytes(orjson.dumps(_error(exc)))
    await websocket.close(code=code, reason=exc.code)


async def _receive(websocket: WebSocket, connection: Connection | None, limit: int) -> Any:
    """The next frame as JSON; raises BadRequest for a frame we can't read."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if connection is not None:
        connection.last_received = time.monotonic()
    raw = message.get("text")
    if raw is None:
        raw = message.get("bytes") or b""
    if len(raw) > limit:
        raise BadRequest(
            f"The frame is {len(raw)} bytes; frames are limited to {limit} bytes.",
            code="frame_too_large",
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses a lone surrogate escape ("\ud83d"), which JSON.stringify writes for a
    # string cut in the middle of an emoji; the text rule replaces it, as over HTTP.
    try:
        return json.loads(raw)
    except ValueError:
        raise BadRequest("The frame is not valid JSON.", code="bad_frame") from None


async def _serve(
    websocket: WebSocket, connection: Connection, handle: Any, on_pong: Any = None
) -> None:
    """Read frames until the socket closes; a bad frame gets an error, not a disconnect."""
    app = sangdam(websocket)
    limit = app.settings.realtime.max_frame_bytes
    try:
        while True:
            ref = None
            try:
                data = await _receive(websocket, connection, limit)
                ref = _ref_of(data)
                try:
                    frame = protocol.client_frame.validate_python(data)
                except ValidationError as exc:
                    raise BadRequest(protocol.describe(exc), code="bad_frame") from None
                if isinstance(frame, protocol.Ping):
                    connection.send({"type": "pong", "ref": frame.ref})
                elif isinstance(frame, protocol.Pong):
                    if on_pong is not None:
                        await _handle_one(connection, on_pong(), reply=False)
                else:
                    connection.handling = True
                    started = time.perf_counter()
                    await _handle_one(connection, handle(frame))
                    if isinstance(frame, protocol.Send):
                        ACK_SECONDS.labels(connection.kind).observe(time.perf_counter() - started)
            except SangdamError as exc:
                connection.send(_error(exc, ref))
            if connection.handling:
                # A socket asked to close (shutdown) goes once this frame is answered.
                connection.frame_done()
    except WebSocketDisconnect:
        pass
    except RuntimeError as exc:  # receive after the peer vanished
        log.debug("socket ended: %s", exc)
    except Exception as exc:
        # A handler failure must not leave a half-open socket; the client resumes.
        log.exception("closing a %s socket after an error", connection.kind)
        with contextlib.suppress(Exception):
            await websocket.close(code=1011, reason=type(exc).__name__)


async def _handle_one(connection: Connection, work: Awaitable[None], *, reply: bool = True) -> None:
    """Run one frame's work. Whatever fails in it costs that frame only: a database that
    refuses a value or a statement that breaks becomes an ``internal_error`` frame (the
    details go to the log), and the socket goes on reading."""
    try:
        await work
    except SangdamError:
        raise
    except Exception:
        log.exception("a frame on a %s socket failed", connection.kind)
        if reply:
            raise _internal_error() from None


@router.websocket("/ws/agent")
async def agent_socket(
    websocket: WebSocket,
    workspace_id: int,
    epoch: str | None = None,
    last_event_id: str | None = None,
) -> None:
    app = sangdam(websocket)
    if bearer(websocket) is None and not _same_origin(websocket):
        await _refuse(
            websocket,
            BadRequest("Cross-origin sockets are not allowed.", code="bad_origin"),
            CLOSE_FORBIDDEN,
        )
        return
    try:
        async with app.db.read() as session:
            context = await resolve_agent(websocket, session, workspace_id)
    except SangdamError as exc:
        await _refuse(websocket, exc, CLOSE_UNAUTHORIZED)
        return
    await websocket.accept()

    async def still_valid() -> bool:
        # The same checks as the handshake, on the credential the socket came with.
        async with app.db.read() as session:
            try:
                again = await resolve_agent(websocket, session, workspace_id)
            except SangdamError:
                return False
        return again.agent.id == context.agent.id

    connection = AgentConnection(
        websocket,
        workspace_id,
        context.agent.id,
        SignedIn(
            agent_id=context.agent.id,
            user_id=context.agent.user_id,
            web_session_id=context.web_session.id if context.web_session else None,
            api_token_id=context.api_token_id,
        ),
        still_valid,
        app.settings.realtime.credential_recheck_seconds,
    )
    last_presence = 0.0

    async def presence() -> None:
        # The inbox answers every heartbeat; a write every ~20 s keeps the agent "present".
        nonlocal last_presence
        if not await connection.check_credential():
            return
        if time.monotonic() - last_presence < PRESENCE_WRITE_SECONDS:
            return
        last_presence = time.monotonic()
        async with app.db.transaction() as session:
            agent = await AgentRepository(session, workspace_id).get(context.agent.id)
            await routing.touch_presence(session, agent)

    hub = app.realtime.hub
    hub.add(connection)
    try:
        try:
            await _agent_resume(connection, epoch, last_event_id)
        except Exception:
            # The broker is unreachable: ask the client to come back shortly.
            log.warning("agent resume failed; asking the client to retry", exc_info=True)
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_TRY_AGAIN, reason="try again")
            return
        await presence()
        await _serve(
            websocket,
            connection,
            lambda frame: _agent_frame(websocket, context, connection, frame),
            presence,
        )
    finally:
        hub.remove(connection)
        await connection.stop()
        if not hub.draining and not hub.has_agent(workspace_id, context.agent.id):
            # The agent's last socket on this node closed: no new chats for them (routing).
            # A tab still open on another node makes them present again at its next
            # heartbeat (touch_presence), which also assigns what waited meanwhile.
            with contextlib.suppress(Exception):
                async with app.db.transaction() as session:
                    agent = await AgentRepository(session, workspace_id).get(context.agent.id)
                    await routing.agent_disconnected(session, agent)


async def _agent_resume(
    connection: AgentConnection, epoch: str | None, last_event_id: str | None
) -> None:
    """Replay what the agent missed, or tell it to start from a fresh snapshot."""
    broker = sangdam(connection.websocket).realtime.broker
    current_epoch, head = await broker.position(connection.workspace_id)
    resumed = False
    start_after = head
    if epoch and last_event_id:
        try:
            missed = await broker.replay(connection.workspace_id, epoch, last_event_id)
        except ValueError:
            missed = None
        if missed is not None:
            resumed = True
            start_after = last_event_id
            for envelope in missed:
                frame = connection.frame_for(envelope)
                if frame is not None:
                    connection.send(frame)
                start_after = envelope["id"]
        else:
            connection.send({"type": "resync_required", "epoch": current_epoch})
    connection.send(
        {
            "type": "ready",
            "epoch": current_epoch,
            "last_event_id": start_after,
            "resumed": resumed,
        }
    )
    connection.release(newer_than(start_after))


async def _agent_frame(
    websocket: WebSocket, context: AgentContext, connection: AgentConnection, frame: Any
) -> None:
    app = sangdam(websocket)
    workspace_id = context.workspace_id
    if not await connection.check_credential():
        raise Unauthorized("Your sign-in ended. Sign in again.", code="signed_out")
    if not context.may_change:
        raise Forbidden(
            "This API token may only read. Sending needs a token with the write scope.",
            code="token_scope",
        )
    if isinstance(frame, protocol.Typing):
        async with app.db.read() as session:
            conversation, _ = await load(session, workspace_id, frame.conversation_id)
        data = {
            "conversation_id": conversation.id,
            "sender_type": "agent",
            "agent_id": context.agent.id,
            "name": context.agent.display_name,
            "private": frame.private,
        }
        await app.realtime.publish_now(
            Event(
                type=EventType.TYPING,
                workspace_id=workspace_id,
                conversation_id=conversation.id,
                contact_id=conversation.contact_id,
                data=data,
                visitor_data=None
                if frame.private
                else {
                    "conversation_id": conversation.id,
                    "sender_type": "agent",
                    "name": context.agent.display_name,
                },
                exclude_agent_id=context.agent.id,
            )
        )
    elif isinstance(frame, protocol.Read):
        read = frame

        async def mark(session: AsyncSession) -> int:
            return await mark_read_by_agent(
                session, workspace_id, read.conversation_id, context.agent, read.seq
            )

        seq = await app.db.write(mark)
        connection.send({"type": "ack", "ref": frame.ref, "seq": seq})
    elif isinstance(frame, protocol.Send):
        if frame.conversation_id is None:
            raise BadRequest(
                "Say which conversation to send to (conversation_id).", code="bad_frame"
            )
        if frame.button is not None:
            raise BadRequest(
                "Bot buttons are for customers; send a message instead.", code="bad_frame"
            )
        send = frame

        async def store(session: AsyncSession) -> dict[str, Any]:
            conversation, contact = await load(
                session, workspace_id, send.conversation_id or 0, for_update=True
            )
            message, _ = await send_as_agent(
                session,
                conversation,
                contact,
                context.agent,
                body=send.body,
                client_id=send.client_id,
                private=send.private,
                max_chars=app.settings.realtime.max_message_chars,
            )
            return agent_message(message)

        payload = await app.db.write(store)
        # Sent only after the commit above: an ack means the message is stored.
        connection.send({"type": "ack", "ref": frame.ref or frame.client_id, "message": payload})
    else:
        raise BadRequest(f"Agents can't send {frame.type} frames.", code="bad_frame")


@router.websocket("/ws/widget")
async def widget_socket(websocket: WebSocket) -> None:
    app = sangdam(websocket)
    settings = app.settings.realtime
    await websocket.accept()
    try:
        raw = await asyncio.wait_for(
            _receive(websocket, None, settings.max_frame_bytes), settings.auth_timeout_seconds
        )
        hello = protocol.hello_frame.validate_python(raw)
        if len(hello.conversations) > settings.max_hello_conversations:
            await _fail(
                websocket,
                BadRequest(
                    f"A hello may name at most {settings.max_hello_conversations} "
                    f"conversations; this one names {len(hello.conversations)}. Name the "
                    "ones the widget shows.",
                    code="too_many_conversations",
                ),
                CLOSE_POLICY,
            )
            return
        async with app.db.read() as session:
            visitor_token, contact = await authenticate_visitor(session, hello.token)
            logs.bind(workspace_id=contact.workspace_id)
            # Which named conversations are the visitor's, at which (clamped) positions.
            positions, unknown = await known_positions(session, contact, hello.conversations)
    except (TimeoutError, WebSocketDisconnect, RuntimeError):
        with contextlib.suppress(Exception):
            await websocket.close(code=CLOSE_UNAUTHORIZED, reason="no hello")
        return
    except ValidationError as exc:
        await _fail(websocket, BadRequest(protocol.describe(exc), code="bad_frame"))
        return
    except SangdamError as exc:
        await _fail(websocket, exc)
        return
    except Exception:
        # Database busy or down: the widget reconnects with backoff.
        log.warning("widget hello failed; asking the client to retry", exc_info=True)
        with contextlib.suppress(Exception):
            await websocket.close(code=CLOSE_TRY_AGAIN, reason="try again")
        return

    async def fetch_missed(
        positions: dict[int, int], limit: int
    ) -> dict[int, list[dict[str, Any]]]:
        async with app.db.read() as session:
            return await missed_in_each(session, contact, positions, limit)

    connection = VisitorConnection(websocket, contact.workspace_id, contact.id, fetch_missed)
    hub = app.realtime.hub
    hub.add(connection)
    try:
        for conversation_id in unknown:
            connection.send(
                _error(
                    NotFound(f"Conversation {conversation_id} was not found."),
                    str(conversation_id),
                )
            )
        connection.delivered.update(positions)
        # This coroutine lives as long as the socket: drop what only the handshake needed.
        inbox_id = visitor_token.inbox_id
        del raw, hello, visitor_token, positions, unknown
        # The writer sends what was missed, from the database, before anything live.
        connection.catch_up()
        connection.send({"type": "ready"})
        connection.release(lambda envelope: True)
        await _serve(
            websocket,
            connection,
            lambda frame: _visitor_frame(websocket, contact, inbox_id, connection, frame),
        )
    finally:
        hub.remove(connection)
        await connection.stop()


async def _fail(websocket: WebSocket, exc: SangdamError, code: int = CLOSE_UNAUTHORIZED) -> None:
    with contextlib.suppress(Exception):  # the client may already be gone
        await websocket.send_bytes(orjson.dumps(_error(exc)))
        await websocket.close(code=code, reason=exc.code)


async def _visitor_frame(
    websocket: WebSocket, contact: Contact, inbox_id: int, connection: VisitorConnection, frame: Any
) -> None:
    app = sangdam(websocket)
    if isinstance(frame, protocol.Typing):
        async with app.db.read() as session:
            conversation = await own_conversation(session, contact, frame.conversation_id)
        await app.realtime.publish_now(
            Event(
                type=EventType.TYPING,
                workspace_id=contact.workspace_id,
                conversation_id=conversation.id,
                contact_id=contact.id,
                data={
                    "conversation_id": conversation.id,
                    "sender_type": "contact",
                    "name": contact.name,
                },
            )
        )
    elif isinstance(frame, protocol.Read):
        read = frame

        async def mark(session: AsyncSession) -> int:
            conversation = await own_conversation(
                session, contact, read.conversation_id, for_update=True
            )
            return await mark_read_by_contact(session, conversation, read.seq)

        seq = await app.db.write(mark)
        connection.send({"type": "ack", "ref": frame.ref, "seq": seq})
    elif isinstance(frame, protocol.Page):
        async with app.db.transaction() as session:
            fresh = await session.get(Contact, contact.id)
            assert fresh is not None
            await record_visit(session, fresh, frame.context, websocket.headers.get("user-agent"))
        connection.send({"type": "ack", "ref": frame.ref})
    elif isinstance(frame, protocol.Send):
        if frame.private:
            raise BadRequest("Visitors can't write internal notes.", code="bad_frame")
        # The same limits as over HTTP; a refusal is an error frame, the socket stays.
        await app.limits.message(
            contact_id=contact.id,
            address=app.limits.address(websocket),
            workspace_id=contact.workspace_id,
            starts_conversation=frame.conversation_id is None,
        )
        if frame.button is None and frame.conversation_id not in connection.with_people:
            await warm_index(app.db, contact.workspace_id)
        send = frame

        async def store(session: AsyncSession) -> tuple[dict[str, Any] | None, dict[str, Any]]:
            if send.conversation_id is not None and send.button is None:
                live = await append_live_message(
                    session,
                    contact,
                    send.conversation_id,
                    body=send.body,
                    client_id=send.client_id,
                    max_chars=app.settings.realtime.max_message_chars,
                )
                if live is not None:
                    return live
            # The contact loaded at connect time, attached without another SELECT.
            fresh = await session.merge(contact, load=False)
            conversation, message, _ = await receive_message(
                session,
                inbox_id=inbox_id,
                contact=fresh,
                conversation_id=send.conversation_id,
                body=send.body,
                client_id=send.client_id,
                button=send.button,
                context=send.context or PageContext(),
                max_chars=app.settings.realtime.max_message_chars,
                base_url=app.settings.base_url,
                email=send.email,
            )
            return visitor_message(message), visitor_view(conversation)

        # Committed (with whatever else arrived meanwhile) before the ack goes out.
        payload, conversation_view = await app.db.write(store)
        if conversation_view["status"] != "bot":
            # Once people have it, the bot never answers there again: no index needed.
            connection.with_people.add(conversation_view["id"])
        connection.send(
            {
                "type": "ack",
                "ref": frame.ref or frame.client_id,
                "message": payload,
                "conversation": conversation_view,
            }
        )
        if conversation_view["id"] not in connection.delivered:
            # First heard of here (a new conversation, or a retried first message that had
            # committed before a reconnect): replies may already be there; send them.
            connection.follow(conversation_view["id"])
