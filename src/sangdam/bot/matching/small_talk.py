"""Detects a message that is only a greeting, a thank-you or "I have a question", in
Korean and English, so the bot can greet back instead of guessing at an FAQ entry
or handing a "안녕하세요" to a person.

A message counts only when nothing else is left once its greetings, thanks,
acknowledgements, ask-phrases, fillers and punctuation are taken out: "안녕하세요,
환불 받을 수 있나요?" still has a question, so it goes to the matcher as usual.
Korean is matched with its spaces removed, like the human-request detector.
"""

from __future__ import annotations

import re
from typing import Literal

SmallTalk = Literal["greeting", "thanks"]

_KO_GREETING = (
    "안녕하세요|안녕하십니까|안녕하신가요|안녕|하이|헬로|방가방가|반가워요|반갑습니다|반가워|"
    "여보세요|좋은아침|좋은아침이에요|좋은아침입니다|수고하세요|수고하십니다|수고많으십니다|"
    "실례합니다|계세요|계신가요|ㅎㅇ|하잉"
)
_KO_THANKS = (
    "감사합니다|감사해요|감사드립니다|감사드려요|감사|고맙습니다|고마워요|고마워|땡큐|땡스|"
    "정말감사합니다|너무감사합니다|감사했습니다|ㄳ|ㄱㅅ|ㄱㅅㄱㅅ"
)
# "I have a question", with no question yet: answered like a greeting.
_KO_ASK = (
    "문의드립니다|문의드려요|문의할게있어요|문의할것이있어요|문의할게요|문의좀할게요|문의좀드릴게요|"
    "문의하려고요|문의하려구요|문의요|문의있어요|문의가있어요|문의드릴게있어요|질문있어요|질문이있어요|"
    "질문이요|질문좀할게요|질문드려도될까요|질문해도되나요|궁금한게있어요|궁금한것이있어요|"
    "궁금한점이있어요|여쭤볼게있어요|여쭤볼게요|물어볼게있어요|물어봐도되나요|도와주세요|도움이필요해요"
)
_KO_ACK = (
    "네|넵|넹|예|응|웅|알겠습니다|알겠어요|알겠어|확인했습니다|확인했어요|오케이|좋아요|그렇군요"
)
_KO_FILLER = "저|제가|혹시|그|저기|저기요|음|좀|요|여기|혹시요|있잖아요|그런데|근데"


def _longest_first(*alternations: str) -> str:
    """One alternation, longest words first, so "저기요" is taken whole before "저"."""
    words = {w for alternation in alternations for w in alternation.split("|")}
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


_KO_TOKENS = re.compile(_longest_first(_KO_THANKS, _KO_GREETING, _KO_ASK, _KO_ACK, _KO_FILLER))
_KO_THANKS_RE = re.compile(_KO_THANKS)

# Plain phrases (no regex syntax): they are joined longest first.
_EN_GREETING = (
    "hi|hii|hiii|hello|helo|hey|heya|hiya|yo|howdy|greetings|good morning|good afternoon|"
    "good evening|good day|morning|afternoon|evening|hi there|hello there|hey there"
)
_EN_THANKS = (
    "thanks|thank you|thank u|thx|ty|many thanks|thanks a lot|thanks so much|thank you so much|"
    "thank you very much|cheers|much appreciated"
)
_EN_ASK = (
    "i have a question|i've got a question|i have some questions|quick question|a question|"
    "question|can you help|can you help me|could you help|could you help me|help me|"
    "help please|i need help|need help|can i ask something|can i ask a question|"
    "can i ask you something|anyone there|is anyone there|are you there"
)
_EN_ACK = "ok|okay|k|sure|yes|yeah|yep|got it|alright|all right|cool|great|nice"
_EN_FILLER = "so|um|uh|well|please|pls|again|guys|team|sangdam|there"
_EN_TOKENS = re.compile(
    rf"\b(?:{_longest_first(_EN_THANKS, _EN_ASK, _EN_GREETING, _EN_ACK, _EN_FILLER)})\b"
)
_EN_THANKS_RE = re.compile(rf"\b(?:{_longest_first(_EN_THANKS)})\b")
_LETTERS = re.compile(r"[a-z0-9\uac00-\ud7a3\u3131-\u318e]")
_KO_LAUGH = re.compile(r"[ㅎㅋㅠㅜ]{2,}|[ㅠㅜ]+")
_EN_CLEAN = re.compile(r"[^a-z0-9\uac00-\ud7a3\u3131-\u318e' ]+")


def small_talk(text: str) -> SmallTalk | None:
    """``"thanks"`` or ``"greeting"`` (greetings, acknowledgements, "I have a question")
    when the message holds nothing else; otherwise ``None``."""
    lowered = text.lower()
    if len(lowered) > 80:
        return None
    english = " ".join(_EN_CLEAN.sub(" ", lowered.replace("’", "'")).split())
    rest = _EN_TOKENS.sub(" ", english)
    squashed = _KO_LAUGH.sub("", rest.replace(" ", "").replace("'", ""))
    squashed = _KO_TOKENS.sub("", squashed)
    if _LETTERS.search(squashed) or not _LETTERS.search(english):
        return None
    korean = english.replace(" ", "")
    if _KO_THANKS_RE.search(korean) or _EN_THANKS_RE.search(english):
        return "thanks"
    return "greeting"
