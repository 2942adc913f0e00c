"""FAQ text vectors are kept in the database: a starting process (or another node) builds
the bot's index without encoding the FAQ again, and an edit encodes only what changed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from sangdam.bot.matching import matcher
from sangdam.bot.matching.encoders import E5Encoder
from sangdam.knowledge import service
from sangdam.knowledge.models import FaqTextEmbedding
from tests.fixtures.factories import World, import_demo_faq


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def _stored(world: World) -> dict[str, bytes]:
    async with world.server.db.read() as session:
        rows = await session.execute(
            select(FaqTextEmbedding).where(
                FaqTextEmbedding.workspace_id == world.workspace.id,
                FaqTextEmbedding.encoder == E5Encoder.name,
            )
        )
        return {row.text_hash: row.vector for row in rows.scalars()}


def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Empty this process's caches, as after a restart; returns the texts encoded from now on."""
    monkeypatch.setattr(matcher, "_CACHE", matcher._EmbeddingCache())
    monkeypatch.setattr(service, "index_cache", service.IndexCache())
    encoded: list[str] = []
    original = E5Encoder.encode

    def counting(self: E5Encoder, texts: Sequence[str]) -> Any:
        encoded.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(E5Encoder, "encode", counting)
    return encoded


async def test_a_new_process_reuses_stored_vectors_and_an_edit_encodes_one_text(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This process's index cache may hold another test's workspace. (Its embedding cache
    # stays: the demo FAQ's vectors are in it, and encoding them again takes seconds.)
    monkeypatch.setattr(service, "index_cache", service.IndexCache())
    login = await import_demo_faq(world)
    db, workspace_id = world.server.db, world.workspace.id
    await service.warm_index(db, workspace_id)
    faqs = (await login.client.get(f"{world.base}/faqs")).json()
    texts = {text for faq in faqs for text in [faq["question"], *faq["paraphrases"]]}
    stored = await _stored(world)
    assert set(stored) == {_hash(text) for text in texts}
    refund_question = next(f["question"] for f in faqs if f["key"] == "price-refund")
    vector = np.frombuffer(stored[_hash(refund_question)], dtype="<f4")
    assert vector.shape == (384,)
    assert np.allclose(vector, E5Encoder().encode([refund_question])[0], atol=1e-5)

    encoded = _fresh_process(monkeypatch)
    await service.warm_index(db, workspace_id)
    assert encoded == []
    async with db.read() as session:
        index, _ = await service.index_cache.get(session, workspace_id)
    assert index.match("결제하고 나서 환불 받을 수 있을까요?").best == "price-refund"
    encoded.clear()  # the message itself was encoded

    refund = next(f for f in faqs if f["key"] == "price-refund")
    edited = {
        "id": refund["key"],
        "category": refund["category"],
        "question": "결제 후 환불이 가능한가요?",
        "paraphrases": refund["paraphrases"],
        "answer": refund["answer"],
        "lang": refund["lang"],
    }
    response = await login.client.put(
        f"{world.base}/faqs/{refund['id']}", json=edited, headers=login.headers()
    )
    assert response.status_code == 200, response.text
    await service.warm_index(db, workspace_id)
    assert encoded == ["결제 후 환불이 가능한가요?"]
    stored = await _stored(world)
    assert _hash("결제 후 환불이 가능한가요?") in stored
    assert _hash(refund_question) not in stored  # the replaced text's vector is gone
    assert len(stored) == len(texts)

    # Deleting an entry encodes nothing and drops its vectors.
    encoded.clear()
    gone = next(f for f in faqs if f["key"] == "price-invoice")
    deleted = await login.client.delete(f"{world.base}/faqs/{gone['id']}", headers=login.headers())
    assert deleted.status_code == 204, deleted.text
    await service.warm_index(db, workspace_id)
    assert encoded == []
    stored = await _stored(world)
    assert len(stored) == len(texts) - 1 - len(gone["paraphrases"])
    assert _hash(gone["question"]) not in stored


async def test_a_damaged_stored_vector_is_not_used_and_is_replaced(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "index_cache", service.IndexCache())
    await import_demo_faq(world)
    db, workspace_id = world.server.db, world.workspace.id
    await service.warm_index(db, workspace_id)

    async def damage(session: Any) -> None:
        rows = await session.execute(
            select(FaqTextEmbedding)
            .where(
                FaqTextEmbedding.workspace_id == workspace_id,
                FaqTextEmbedding.encoder == E5Encoder.name,
            )
            .limit(1)
        )
        rows.scalar_one().vector = b"\x00\x00\x80\x7f" * 3  # three infinities

    await db.write(damage)
    encoded = _fresh_process(monkeypatch)
    await service.warm_index(db, workspace_id)
    stored = await _stored(world)
    assert len(encoded) == 1  # only the damaged one is encoded again, and stored right
    assert all(len(vector) == 384 * 4 for vector in stored.values())
    assert np.isfinite(np.frombuffer(b"".join(stored.values()), dtype="<f4")).all()
