"""Surveys' background work: deliver a due survey, once.

The job runs at the send's ``due_at``. In one transaction it locks the send, skips it when
the customer wrote after the ending it asks about, else delivers it and marks it sent:
the widget's survey line is written in that transaction; an email is handed to the mail
server while the send stays locked, and ``sent_at`` commits right after. A second run of
the job (a worker that died, a retry) waits for the lock and then finds the send sent.
Should the commit fail after the mail server took the email, the retry sends the same
email again with the same Message-ID, which mail providers drop as a duplicate.
"""

from __future__ import annotations

import logging
from typing import Any

from sangdam.conversations.repository import ConversationRepository
from sangdam.csat import service
from sangdam.csat.repository import CsatRepository
from sangdam.db import Database
from sangdam.email import service as email
from sangdam.jobs.service import handler

log = logging.getLogger(__name__)


@handler(service.SURVEY_JOB)
async def send_survey(db: Database, payload: dict[str, Any]) -> None:
    workspace_id, send_id = int(payload["workspace_id"]), int(payload["send_id"])
    async with db.transaction() as session:
        send, delivery = await service.prepare_delivery(session, workspace_id, send_id)
        if delivery != service.Delivery.EMAIL:
            return
        token = payload.get("secret_token")
        if not token:
            return  # a finished job's copy: the link is gone with it
        if not db.settings.email.sending:
            log.warning(
                "email is not configured (SANGDAM_EMAIL__HOST); survey %s not mailed", send_id
            )
            return
        conversation = await ConversationRepository(session, workspace_id).get(send.conversation_id)
        survey = await CsatRepository(session, workspace_id).survey(send.survey_id)
        link = f"{db.settings.base_url}/survey/{token}"
        outgoing = await email.prepare_survey_email(
            session, db.settings, conversation, survey.name, link
        )
        if outgoing is None:
            send.skipped = True
            return
        await email.deliver(db.settings.email, outgoing)
        service.mark_sent(send)
