"""FAQ answers (Markdown) become the plain text an agent's reply carries."""

from __future__ import annotations

from sangdam.kit.markdown import as_message_text


def test_emphasis_marks_go_and_structure_stays() -> None:
    assert as_message_text("결제 후 **7일 이내**이고 *사용 이력*이 없으면 `전액` 환불") == (
        "결제 후 7일 이내이고 사용 이력이 없으면 전액 환불"
    )
    assert as_message_text("1. 복사합니다.\n2. **붙여** 넣습니다.\n\n끝.") == (
        "1. 복사합니다.\n2. 붙여 넣습니다.\n\n끝."
    )
    assert as_message_text("- 하나\n- 둘") == "- 하나\n- 둘"
    assert as_message_text("| 플랜 | 요금 |\n| --- | --- |\n| 프로 | 39,000원 |") == (
        "플랜 | 요금\n프로 | 39,000원"
    )


def test_links_keep_their_address_and_html_stays_text() -> None:
    assert as_message_text("[요금제](https://example.com/pricing) 참고") == (
        "요금제 (https://example.com/pricing) 참고"
    )
    assert as_message_text("<https://example.com>") == "https://example.com"
    assert as_message_text("<b>굵게</b>") == "<b>굵게</b>"
