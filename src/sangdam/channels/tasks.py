"""Messenger channels' background work: inbound events become messages, replies go out.

Both are durable jobs (``jobs.service``): a webhook is acknowledged once its events are
stored with their jobs, and a reply is sent once its transaction committed. The reply job
never holds a transaction while it calls the messenger's API.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from sangdam.channels import service
from sangdam.channels.schemas import SendRefused
from sangdam.db import Database
from sangdam.jobs.service import handler

log = logging.getLogger(__name__)


@handler(service.INBOUND_JOB)
async def receive_update(db: Database, payload: dict[str, Any]) -> None:
    workspace_id, update_id = int(payload["workspace_id"]), int(payload["update_id"])
    profile = None
    async with db.read() as session:
        unknown = await service.unknown_sender(session, db.settings, workspace_id, update_id)
    if unknown is not None:
        adapter, credentials, user_id = unknown
        try:
            profile = await adapter.profile(credentials, user_id)
        except Exception as exc:
            # A name is nice to have; the message must not wait for it.
            log.info("profile of a sender of update %s: %s", update_id, type(exc).__name__)
    for attempt in range(2):
        try:
            async with db.transaction() as session:
                await service.receive_update(session, db.settings, workspace_id, update_id, profile)
            break
        except IntegrityError:
            # The sender's first two messages ran at once and the other mapped them first:
            # this run finds that contact.
            if attempt:
                raise
    async with db.read() as session:
        pending = await service.acknowledgement(session, db.settings, workspace_id, update_id)
    if pending is not None:
        adapter, credentials, event = pending
        try:
            await adapter.acknowledge(credentials, event)
        except Exception as exc:
            # Only a spinner on the customer's button: not worth retrying the job for.
            log.info("acknowledging update %s failed: %s", update_id, type(exc).__name__)


@handler(service.REPLY_JOB)
async def send_reply(db: Database, payload: dict[str, Any]) -> None:
    workspace_id, message_id = int(payload["workspace_id"]), int(payload["message_id"])
    async with db.transaction() as session:
        delivery = await service.prepare_delivery(session, db.settings, workspace_id, message_id)
    if delivery is None:
        return  # sent already (a second run), refused before, or nothing to send any more
    for index in range(delivery.next_part, len(delivery.parts)):
        try:
            result = await delivery.adapter.send(
                delivery.credentials,
                delivery.address,
                delivery.parts[index],
                delivery.retry_key(workspace_id, message_id, index),
            )
        except SendRefused as refused:
            log.warning(
                "channel %s refused message %s: %s", delivery.account_id, message_id, refused
            )
            async with db.transaction() as session:
                await service.record_refusal(
                    session, db.settings, workspace_id, delivery.send_id, str(refused)
                )
            return
        async with db.transaction() as session:
            await service.record_part(
                session, workspace_id, delivery.send_id, index, result.external_id
            )
