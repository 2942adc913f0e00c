"""Detects a customer asking for a human agent, in Korean and English.

Korean is matched on the message with its spaces and punctuation removed, so
"상담원 연결해 주세요", "상담원 연결 해주세요" and "상담원연결해주세요" are
the same string. A request needs a word for a person (상담원, 상담사, 직원,
사람, 담당자, ...) followed closely by a request (연결, 바꿔, 통화, 얘기,
불러, ...), or a message that is little more than that word ("상담원이요",
"상담원좀"), or asks whether a person is there ("사람 있어요?", "상담원분 계세요?"),
or "봇 말고 ...". Words about seats and settings between the
two (추가, 계정, 권한, 요금, ...) cancel it, so "상담원 한 명 추가하면
얼마예요?" is a pricing question, and "상담 시간" (no person word) is a
question about business hours.
"""

from __future__ import annotations

import re

_KO_PERSON = "상담원|상담사|상담직원|상담선생님|직원|담당자|매니저|운영자|사람"
_KO_REQUEST = (
    "연결|바꿔|바꾸|통화|전화|얘기|애기|이야기|대화|말하|말할|말씀|불러|부르|부탁|원해|원합|"
    "요청|문의하|문의할|물어|여쭤|상담하|상담받|상담을받"
)
# Words that turn "person word ... request" into a question about the product
# (seats, accounts, permissions, assignment, prices).
_KO_BLOCKERS = (
    "추가|초대|계정|권한|요금|비용|가격|얼마|배정|등록|삭제|늘리|줄이|없을|없으면|부재|마다|별로|"
    "몇명|명당|좌석|수제한|처럼|같이|같은"
)
_KO_REQUEST_AFTER_PERSON = re.compile(rf"(?:{_KO_PERSON})(?P<gap>.{{0,8}}?)(?:{_KO_REQUEST})")
_KO_BLOCKER = re.compile(_KO_BLOCKERS)
# The whole message is (nearly) just the person word: "상담원", "상담원이요", "사람요!".
_KO_BARE_PERSON = re.compile(
    rf"^(?:진짜|실제|그냥|빨리|지금)?(?:{_KO_PERSON})(?:분|님)?"
    r"(?:이요|요|좀|좀요|이랑|한테|주세요|부탁해요|부탁드려요|부탁합니다)?$"
)
_KO_REAL_PERSON = re.compile(r"(?:진짜|실제|실제로|살아있는)(?:사람|상담원|상담사|직원)")
# "사람 있어요?", "상담원분 계세요?", "누구 없어요?": is a person there (nothing in between).
_KO_PRESENCE = re.compile(
    r"(?:저기요|저기|혹시|여보세요|거기|지금)*"
    rf"(?:(?:{_KO_PERSON})(?:분|님)?(?:이|은|는|께서)?|누구|아무도)"
    r"(?:있어요|있나요|있습니까|있으세요|계세요|계신가요|계십니까|없어요|없나요|없습니까)$"
)
_KO_NOT_BOT = re.compile(r"(?:챗봇|봇|로봇|기계|ai|자동응답)(?:말고|아니고|말구|싫어|싫고|그만)")

_EN_PERSON = (
    r"(?:human(?: being| agent)?|real person|actual person|live (?:agent|person|chat|support)|"
    r"person|agent|representative|rep|operator|someone|somebody|staff|"
    r"support (?:team|staff)|customer (?:service|support)|advisor|people)"
)
_EN_PATTERNS = [
    re.compile(rf"\b(?:talk|speak|chat|get through)\b.{{0,40}}\b{_EN_PERSON}\b"),
    re.compile(rf"\b(?:connect|transfer|put)\s+me\b.{{0,40}}\b{_EN_PERSON}\b"),
    re.compile(
        r"\b(?:get|give|want|need|request)\b.{0,20}\b(?:human|real person|live agent|"
        r"representative|operator|human agent|actual person)\b"
    ),
    re.compile(
        r"\b(?:human|real person|live agent|agent|representative|operator|person)\s+"
        r"(?:please|pls|plz|now)\b"
    ),
    re.compile(
        r"^(?:an?\s+)?(?:human|real person|live agent|agent|representative|operator|"
        r"customer service|live support)\s*(?:please|pls|plz|now)?$"
    ),
    re.compile(r"\b(?:not|no|stop|don't want|do not want)\b.{0,20}\b(?:bot|robot|machine)\b"),
]
_EN_CLEAN = re.compile(r"[^a-z0-9' ]+")
_KO_CLEAN = re.compile(r"[\W_]+")


def wants_human(text: str) -> bool:
    """True when the message asks to talk to a human agent."""
    lowered = text.lower()
    english = " ".join(_EN_CLEAN.sub(" ", lowered).split())
    if any(pattern.search(english) for pattern in _EN_PATTERNS):
        return True
    squashed = _KO_CLEAN.sub("", lowered)
    if not squashed:
        return False
    if (
        _KO_BARE_PERSON.match(squashed)
        or _KO_NOT_BOT.search(squashed)
        or _KO_PRESENCE.match(squashed)
    ):
        return True
    if _KO_REAL_PERSON.search(squashed) and not _KO_BLOCKER.search(squashed):
        return True
    for match in _KO_REQUEST_AFTER_PERSON.finditer(squashed):
        if not _KO_BLOCKER.search(match.group("gap")):
            return True
    return False
