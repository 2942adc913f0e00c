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
    # Topics no FAQ entry covers: the bot answers questions about them with a passage
    # of the article (benchmarks/bot/ko_article_queries.jsonl measures it).
    ArticleIn(
        slug="canned-replies",
        lang="ko",
        category="제품기능",
        title="자주 쓰는 답변 만들기",
        description="같은 답을 매번 입력하지 않도록 답변 문장을 저장해 두고 꺼내 쓰는 방법",
        body=(
            "## 자주 쓰는 답변이란\n\n"
            "상담원이 같은 안내를 매번 새로 입력하지 않도록 답변 문장을 저장해 두는 기능입니다. "
            "팀 전체가 같은 답변 목록을 함께 씁니다.\n\n"
            "## 답변 만들기\n\n"
            "**설정 > 자주 쓰는 답변**에서 **새 답변**을 누르고 짧은 이름(예: 배송안내)과 내용을 "
            "입력한 뒤 저장합니다.\n\n"
            "## 상담 중에 꺼내 쓰기\n\n"
            "답변 입력창에 **/** 를 입력하고 이름 일부를 치면 저장한 답변이 목록으로 나타납니다. "
            "골라서 Enter를 누르면 입력창에 들어가고, 보내기 전에 고칠 수 있습니다."
        ),
    ),
    ArticleIn(
        slug="automation-rules",
        lang="ko",
        category="제품기능",
        title="자동화 규칙으로 상담 분류하기",
        description="조건에 맞는 대화에 태그를 붙이고 팀에 배정하는 규칙",
        body=(
            "## 자동화 규칙이란\n\n"
            "새 대화나 메시지가 조건에 맞으면 태그를 붙이거나, 팀에 배정하거나, 우선순위를 "
            "바꾸는 규칙입니다. 상담원이 손으로 분류하지 않아도 됩니다.\n\n"
            "## 규칙 만들기\n\n"
            "**설정 > 자동화**에서 **새 규칙**을 누르고 조건(예: 메시지에 '환불'이 들어 있을 때)과 "
            "동작(태그 추가, 팀 배정, 우선순위)을 고릅니다. 조건 여러 개를 AND나 OR로 묶을 수 "
            "있습니다.\n\n"
            "## 규칙 파일로 옮기기\n\n"
            "규칙은 JSON 파일로 내보내고 다른 워크스페이스에서 가져올 수 있습니다."
        ),
    ),
    ArticleIn(
        slug="queue-and-handoff",
        lang="ko",
        category="제품기능",
        title="상담원 연결과 대기 순서",
        description="봇에서 상담원으로 넘어가는 과정, 대기 순서와 예상 대기 시간",
        body=(
            "## 상담원에게 넘어가는 때\n\n"
            "고객이 상담원을 요청하거나 봇이 답을 찾지 못하면 대화가 대기열에 들어가고, "
            "응대할 수 있는 상담원에게 들어온 순서대로 배정됩니다.\n\n"
            "## 예상 대기 시간\n\n"
            "기다리는 고객에게는 앞에 남은 인원과 최근 응대 속도로 계산한 예상 대기 시간이 "
            "위젯에 표시되고, 순서가 줄면 함께 줄어듭니다.\n\n"
            "## 상담원이 모두 자리를 비웠을 때\n\n"
            "운영 시간이 아니면 위젯이 고객의 이메일 주소를 받아 두고, 상담원이 남긴 답장은 "
            "그 주소로 발송됩니다."
        ),
    ),
    ArticleIn(
        slug="conversation-tags",
        lang="ko",
        category="제품기능",
        title="태그로 대화 정리하기",
        description="대화에 태그를 붙이고 태그별로 모아 보는 방법",
        body=(
            "## 태그 붙이기\n\n"
            "대화 화면 오른쪽 고객 정보 패널에서 **태그 추가**를 눌러 '배송', '불만' 같은 태그를 "
            "붙입니다. 한 대화에 여러 태그를 붙일 수 있습니다.\n\n"
            "## 태그별로 모아 보기\n\n"
            "받은 상담함 목록 위의 필터에서 태그를 고르면 그 태그가 붙은 대화만 보입니다."
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
