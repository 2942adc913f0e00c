"""Every message the server can show a person goes through the catalogs: error messages
are English templates with a Korean translation, and the answer comes in the language the
inbox, the widget or the sign-in page asked for."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import httpx

from sangdam.kit.errors import Word
from sangdam.web.i18n import catalog
from tests.fixtures.factories import World

SRC = Path(__file__).resolve().parents[2] / "src" / "sangdam"

# Where a message may be built otherwise, and why nobody needs it translated there.
NOT_FOR_PEOPLE = {
    # The terminal's own messages (sangdam admin …), in English like its --help.
    "cli.py": "the command line",
    # Socket protocol errors are for client developers; the widget and the inbox show their
    # own text for the codes a person can meet (frame.js ERROR_TEXTS).
    "realtime/api.py": "the socket protocol",
    "realtime/protocol.py": "the socket protocol",
    # The metrics endpoint answers a scraper (Prometheus), not a person.
    "ops/api.py": "the metrics scraper",
}
# A client_id is made by the widget or the program calling the API, never typed by a person.
BUILT_FROM_VALIDATION = {"invalid_client_id"}
# Answers to the sending mail server during SMTP, in the protocol's English.
SMTP_REPLIES = {"InboundRejected"}
APP_MESSAGES = (
    "Nothing is at this address.",
    "Another request changed this at the same time. Try again.",
    "The request body is not JSON text in UTF-8. Send it as JSON.",
)


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    names = {"SangdamError"}
    while True:
        found = {
            node.name
            for tree in trees.values()
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and any(isinstance(base, ast.Name) and base.id in names for base in node.bases)
        }
        if found <= names:
            return names
        names |= found


def _messages() -> tuple[list[tuple[str, str]], list[str]]:
    """(where, English template) of every error and limit message; and what is built in a
    way no catalog can translate (an f-string, or text from elsewhere)."""
    trees = {path: ast.parse(path.read_text()) for path in SRC.rglob("*.py")}
    classes = _error_classes(trees)
    found: list[tuple[str, str]] = []
    untranslatable: list[str] = []
    for path, tree in trees.items():
        relative = path.relative_to(SRC).as_posix()
        if relative in NOT_FOR_PEOPLE:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            callee = node.func
            name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
            first = node.args[0]
            where = f"{relative}:{node.lineno}"
            if name in classes and name not in SMTP_REPLIES:
                code = next((k.value for k in node.keywords if k.arg == "code"), None)
                if isinstance(code, ast.Constant) and code.value in BUILT_FROM_VALIDATION:
                    continue
                if name == "TooManyRequests" and relative == "kit/ratelimit.py":
                    continue  # the template comes from _enforce's callers, checked below
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append((where, first.value))
                else:
                    untranslatable.append(f"{where} {ast.unparse(first)[:90]}")
            elif name == "_enforce" and isinstance(first, ast.Constant) and first.value:
                found.append((where, str(first.value)))
            elif name == "get_scoped" and len(node.args) >= 3:
                # The noun of "{what} {id} does not exist", translated as a thing.
                noun = node.args[2]
                if isinstance(noun, ast.Constant):
                    found.append((where, f"{Word.CONTEXT}\x04{noun.value}"))
    return found, untranslatable


def test_error_messages_are_templates_with_a_korean_translation() -> None:
    found, untranslatable = _messages()
    assert len(found) > 100
    # An f-string can't be looked up in a catalog: pass the values with values={...}.
    assert untranslatable == []
    korean = catalog("ko")
    missing = sorted({text for _where, text in found if text not in korean})
    assert missing == []
    assert [text for text in APP_MESSAGES if text not in korean] == []


def test_our_validators_words_are_translated() -> None:
    """A 422 names the field and, for our own validators, their words in the catalogs."""
    korean = catalog("ko")
    texts = {"The request is not valid:"}
    for path in [*SRC.glob("*/schemas.py"), SRC / "kit" / "input.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and getattr(node.exc.func, "id", "") == "ValueError"
                and node.exc.args
                and isinstance(node.exc.args[0], ast.Constant)
            ):
                texts.add(str(node.exc.args[0].value))
    assert len(texts) > 10
    assert sorted(text for text in texts if text not in korean) == []


def test_translations_name_the_same_values() -> None:
    korean = catalog("ko")

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    found, _ = _messages()
    wrong = sorted(
        text for _where, text in found if text in korean and fields(korean[text]) != fields(text)
    )
    assert wrong == []


async def test_errors_come_in_the_language_asked_for(world: World) -> None:
    login = await world.login()
    visitor = await world.visitor()
    conversation_id = (await visitor.start("결제 오류 신고"))["conversation"]["id"]
    create = f"{world.base}/conversations/{conversation_id}/github-issues"

    # The inbox asks in Korean: the GitHub error seen walking the seeds is Korean now.
    korean = {**login.headers(), "Accept-Language": "ko"}
    answer = await login.client.post(create, json={"title": "결제 오류"}, headers=korean)
    assert answer.status_code == 404 and answer.json()["code"] == "github_not_configured"
    assert (
        answer.json()["message"]
        == catalog("ko")[
            "GitHub is not set up for this workspace. An admin adds the repository in Settings."
        ]
    )

    # A message with values: the values go into the translation.
    tag = {"name": "불만", "color": "#dc2626"}
    first = await login.client.post(f"{world.base}/tags", json=tag, headers=korean)
    assert first.status_code == 201
    again = await login.client.post(f"{world.base}/tags", json=tag, headers=korean)
    assert again.status_code == 409
    assert again.json()["message"] == catalog("ko")[
        "A tag named {name!r} exists already; use that one or rename it."
    ].format(name="불만")
    not_found = await login.client.get(f"{world.base}/conversations/999999999", headers=korean)
    assert not_found.json()["message"].startswith("상담 999999999")

    # A refused value: the field, and our validator's words, in Korean.
    invalid = await login.client.put(
        f"{world.base}/integrations/github",
        json={"repo": "not a repository"},
        headers=korean,
    )
    assert invalid.status_code == 422
    assert invalid.json()["message"] == (
        "요청이 올바르지 않아요: repo: 저장소는 cloudgate/app처럼 owner/name 형식으로 써 주세요."
    )

    # A program that names no language gets the documented English.
    english = await login.client.post(create, json={"title": "x"}, headers=login.headers())
    assert english.json()["message"].startswith("GitHub is not set up for this workspace.")

    # The widget asks in the visitor's language.
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        refused = await client.post(
            "/api/widget/v1/visitors",
            json={"inbox_key": "sdk_no_such_key", "context": {}},
            headers={"Accept-Language": "ko-KR,ko;q=0.9"},
        )
    assert refused.status_code == 404
    assert (
        refused.json()["message"]
        == catalog("ko")["This chat widget's key is unknown. Check the key in the script tag."]
    )


def test_labels_the_pages_look_up_are_translated() -> None:
    """Statuses, kinds and other values shown through a label map (STATUS_LABELS and the
    like, which the page passes to t()) have Korean too."""
    korean = catalog("ko")
    maps = 0
    labels: set[str] = set()
    for script in (SRC / "web" / "static").rglob("*.js"):
        source = script.read_text()
        for body in re.findall(r"const [A-Z_]+_LABELS = \{(.*?)\};", source, re.DOTALL):
            maps += 1
            labels |= set(re.findall(r':\s*"([^"]+)"', body))
    assert maps >= 6 and "Resolved" in labels
    assert sorted(label for label in labels if label not in korean) == []
