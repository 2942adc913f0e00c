"""Help-center articles of the demo workspace (Korean and English)."""

from __future__ import annotations

from sangdam.knowledge.schemas import ArticleIn

ARTICLES = (
    ArticleIn(
        slug="widget-install",
        lang="ko",
        category="연동방법",
        title="홈페이지에 채팅 위젯 설치하기",
        description="스크립트 태그 한 줄로 모든 페이지에 상담 버튼을 추가하는 방법",
        body=(
            "상담 위젯은 **스크립트 태그 한 줄**로 설치합니다.\n\n"
            "1. **설정 > 위젯 > 설치**에서 설치 코드를 복사합니다.\n"
            "2. 모든 페이지에 공통으로 들어가는 영역, 닫는 `</body>` 태그 바로 앞에 붙여 넣습니다.\n"
            "3. 페이지를 새로고침하면 오른쪽 아래에 채팅 버튼이 나타납니다.\n\n"
            "여러 사이트(홈페이지, 가이드, 서비스 화면)에 같은 코드를 넣으면 문의가 한 받은 상담함으로 모이고, "
            "상담원은 고객이 어느 페이지에서 문의했는지 볼 수 있습니다."
        ),
    ),
    ArticleIn(
        slug="pricing",
        lang="ko",
        category="이용가격",
        title="요금제 안내",
        description="무료, 베이직, 프로 요금제와 상담원 추가 비용",
        body=(
            "| 플랜 | 월 요금 (상담원 1명 기준) |\n| --- | --- |\n"
            "| 무료 | 0원 |\n| 베이직 | 19,000원 |\n| 프로 | 39,000원 |\n\n"
            "모든 유료 기능은 **14일 동안 무료**로 써 볼 수 있습니다. 연간 결제 시 2개월분이 할인됩니다."
        ),
    ),
    ArticleIn(
        slug="refund-policy",
        lang="ko",
        category="이용가격",
        title="환불 정책",
        description="결제 후 7일 이내 전액 환불, 연간 결제는 남은 기간만큼 환불",
        body=(
            "- 결제 후 **7일 이내**이고 사용 이력이 없으면 전액 환불됩니다.\n"
            "- 연간 결제는 남은 개월 수만큼 일할 계산해 환불합니다.\n"
            "- **설정 > 결제 > 환불 요청**에서 신청하시면 영업일 기준 3일 안에 처리됩니다."
        ),
    ),
    ArticleIn(
        slug="widget-install",
        lang="en",
        category="Integrations",
        title="Installing the chat widget",
        description="Add the chat button to every page with one script tag",
        body=(
            "The widget is **one script tag**.\n\n"
            "1. Copy the code from **Settings > Widget > Install**.\n"
            "2. Paste it before the closing `</body>` tag of every page.\n"
            "3. Reload: the chat button appears in the bottom-right corner."
        ),
    ),
    ArticleIn(
        slug="pricing",
        lang="en",
        category="Pricing",
        title="Plans and pricing",
        description="Free, Basic and Pro plans, per agent per month",
        body=(
            "| Plan | Per agent per month |\n| --- | --- |\n"
            "| Free | ₩0 |\n| Basic | ₩19,000 |\n| Pro | ₩39,000 |\n\n"
            "Every paid feature is free for **14 days**."
        ),
    ),
)

# FAQ entries whose answers link to an article ("Read more" in the widget).
FAQ_ARTICLES = {
    "price-refund": "refund-policy",
    "int-website-widget": "widget-install",
    "price-plans": "pricing",
    "en-pricing": "pricing",
}
