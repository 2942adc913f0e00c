"""The reference deployment of docs/operations.md, as written: Debian's nginx terminating TLS
(a certificate this test makes) in front of two `sangdam serve` nodes on PostgreSQL and
Redis, started and stopped by the systemd unit's own lines, with docs/deploy/sangdam.env's
settings (public URL, Secure cookies, trusted proxy, JSON logs). Driven in Chromium and by
steady traffic while each node restarts in turn."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import os
import random
import shutil
import signal
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.fixtures.operations import (
    DEPLOY,
    ROOT,
    environment_file,
    run_step,
    unit_command,
    unit_setting,
)
from tests.fixtures.server import free_port
from tests.fixtures.services import (
    BROWSER_REQUIRED,
    POSTGRES_URL,
    fresh_postgres_database,
    unavailable,
)

# Starting two nodes and restarting each takes a while on two busy cores.
pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(360)]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_SERVER = shutil.which("redis-server")
CHROMIUM = Path("/usr/bin/chromium")
HOST = "sangdam.test"
OWNER_EMAIL = "owner@example.com"  # as docs/operations.md's "migrate" step writes it
OWNER_PASSWORD = "amber falcon river piano"
# Bodies that must never reach a log line (the logs test looks for them).
SECRET_WORD = "기밀내용"


class PrivateRedis:
    """A redis-server of the deployment's own: its streams and epoch are nobody else's."""

    def __init__(self) -> None:
        self.port = free_port()
        assert REDIS_SERVER
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@dataclass
class Deployment:
    root: Path
    env: dict[str, str]
    ca: Any
    node_ports: list[int]
    https_port: int
    http_port: int
    cert_spki: str
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    nginx: subprocess.Popen[bytes] | None = None
    workspace_id: int = 0
    widget_key: str = ""

    @property
    def public_url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    @property
    def direct_url(self) -> str:
        """nginx by address (the certificate names 127.0.0.1 too): for Python clients."""
        return f"https://127.0.0.1:{self.https_port}"

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.direct_url, verify=self.ssl_context(), timeout=30, **kwargs
        )

    def log_path(self, port: int) -> Path:
        return self.root / f"node-{port}.log"

    async def start_node(self, port: int) -> None:
        """As systemd starts the unit: ExecStart, then ExecStartPost (waits for /readyz)."""
        with self.log_path(port).open("ab") as log:
            self.processes[port] = subprocess.Popen(
                unit_command("ExecStart", port),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
            )
        ready = await asyncio.create_subprocess_exec(
            *unit_command("ExecStartPost", port),
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        said, _ = await ready.communicate()
        assert ready.returncode == 0, said.decode() + self.log_path(port).read_text()[-3000:]

    async def stop_node(self, port: int) -> int:
        """As systemd stops it (KillSignal=SIGTERM, then up to TimeoutStopSec)."""
        process = self.processes.pop(port)
        process.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(process.wait, int(unit_setting("TimeoutStopSec")))

    async def restart_node(self, port: int) -> int:
        """`systemctl restart sangdam@PORT`: stop, start, ready. Returns the exit status."""
        status = await self.stop_node(port)
        await self.start_node(port)
        return status

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for port in self.node_ports:
            for line in self.log_path(port).read_text(encoding="utf-8").splitlines():
                lines.append(json.loads(line))  # every line is one JSON object
        return lines

    async def login(self) -> tuple[httpx.AsyncClient, str, str]:
        client = self.client()
        signed_in = await client.post(
            "/api/v1/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        return client, signed_in.json()["csrf_token"], client.cookies["sangdam_session"]


def _nginx_config(root: Path, node_ports: list[int], https_port: int, http_port: int) -> Path:
    """docs/deploy/nginx.conf with this machine's ports, name and certificate paths, and a
    top-level file around it (the part Debian's /etc/nginx/nginx.conf plays)."""
    site = (DEPLOY / "nginx.conf").read_text()
    for written, here in {
        "127.0.0.1:8001": f"127.0.0.1:{node_ports[0]}",
        "127.0.0.1:8002": f"127.0.0.1:{node_ports[1]}",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "sangdam.example.com": HOST,
        "/etc/ssl/sangdam/": f"{root}/tls/",
    }.items():
        assert written in site, written
        site = site.replace(written, here)
    (root / "site.conf").write_text(site)
    (root / "conf.d").mkdir()
    user = "user www-data;\n" if os.geteuid() == 0 else ""
    main = root / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/nginx-error.log info;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"  access_log {root}/nginx-access.log;\n"
        + "".join(f"  {kind}_temp_path {root}/tmp-{kind};\n" for kind in ("client_body", "proxy"))
        + "".join(
            f"  {kind}_temp_path {root}/tmp-{kind};\n" for kind in ("fastcgi", "uwsgi", "scgi")
        )
        + f"  include {root}/conf.d/*.conf;\n}}\n"
    )
    return main


@pytest.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    if not Path(NGINX).exists():
        unavailable("nginx is not installed (python3 dev.py test installs it with apt)")
    if REDIS_SERVER is None:
        unavailable("redis-server is not installed")
    if not POSTGRES_URL:
        unavailable("the deployment needs PostgreSQL (SANGDAM_TEST_POSTGRES_URL)")
    import trustme
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    root = tmp_path_factory.mktemp("deployment")
    root.chmod(0o755)  # nginx's workers (www-data) write their temp files under it
    database = POSTGRES_URL.rsplit("/", 1)[0] + "/" + POSTGRES_URL.rsplit("/", 1)[1] + "_deploy"
    await fresh_postgres_database(database)
    redis = PrivateRedis()

    # A certificate authority and certificate of the test's own; nginx serves it.
    ca = trustme.CA()
    certificate = ca.issue_cert(HOST, "127.0.0.1")
    (root / "tls").mkdir()
    certificate.private_key_pem.write_to_path(str(root / "tls" / "privkey.pem"))
    (root / "tls" / "fullchain.pem").write_bytes(
        b"".join(blob.bytes() for blob in certificate.cert_chain_pems)
    )
    leaf = x509.load_pem_x509_certificate(certificate.cert_chain_pems[0].bytes())
    spki = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    node_ports = [free_port(), free_port()]
    https_port, http_port = free_port(), free_port()
    # docs/deploy/sangdam.env with this machine's database, Redis and address; the
    # probes' debug lines on, to see a per-module level at work.
    settings = (DEPLOY / "sangdam.env").read_text()
    for written, here in {
        "postgresql://sangdam@127.0.0.1:5432/sangdam": database,
        "redis://127.0.0.1:6379/0": redis.url,
        "https://sangdam.example.com": f"https://{HOST}:{https_port}",
        '{"uvicorn.error": "warning"}': '{"uvicorn.error": "warning", "sangdam.http": "debug"}',
    }.items():
        assert written in settings, written
        settings = settings.replace(written, here)
    env_file = root / "sangdam.env"
    env_file.write_text(settings)
    env = {**os.environ, **environment_file(env_file)}
    env.pop("SANGDAM_LOG_LEVEL", None)
    swaps = {"/etc/sangdam/sangdam.env": str(env_file)}
    deployment = Deployment(
        root=root,
        env=env,
        ca=ca,
        node_ports=node_ports,
        https_port=https_port,
        http_port=http_port,
        cert_spki=base64.b64encode(hashlib.sha256(spki).digest()).decode(),
    )
    try:
        # Deploy, steps 2-4: check the settings, migrate, first account, start the nodes.
        checked = run_step("check", {}, swaps).stdout.splitlines()
        # Nothing wrong but the empty database, which the next step migrates.
        assert checked[-1] == "0 error(s), 1 warning(s).", checked
        assert "Run `sangdam migrate`" in checked[0], checked
        run_step("migrate", {"OWNER_PASSWORD": OWNER_PASSWORD}, swaps)
        await asyncio.gather(*(deployment.start_node(port) for port in node_ports))

        # Step 5: nginx with the reference file.
        main = _nginx_config(root, node_ports, https_port, http_port)
        nginx = [NGINX, "-p", str(root), "-c", str(main), "-e", str(root / "nginx-error.log")]
        run_step(
            "nginx",
            {},
            {
                "/opt/sangdam/src/docs/deploy/nginx.conf": str(root / "site.conf"),
                "/etc/nginx/conf.d/sangdam.conf": str(root / "conf.d" / "sangdam.conf"),
                "nginx -t": " ".join([*nginx, "-t"]),
            },
        )
        deployment.nginx = subprocess.Popen([*nginx, "-g", "daemon off;"])
        async with deployment.client() as client:
            for _ in range(100):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        owner, _, _ = await deployment.login()
        try:
            me = await owner.get("/api/v1/me")
            deployment.workspace_id = me.json()["workspaces"][0]["workspace_id"]
            workspace = await owner.get(f"/api/v1/workspaces/{deployment.workspace_id}")
            deployment.widget_key = workspace.json()["widget_key"]
        finally:
            await owner.aclose()
        yield deployment
    finally:
        if deployment.nginx is not None:
            deployment.nginx.send_signal(signal.SIGQUIT)
            deployment.nginx.wait(10)
        for port in list(deployment.processes):
            await deployment.stop_node(port)
        redis.stop()


# ---- through nginx, in Chromium -----------------------------------------------------------


async def test_chromium_chats_through_nginx_and_keeps_its_place_while_each_node_restarts(
    deployment: Deployment, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        unavailable("Debian's chromium is not installed", required=BROWSER_REQUIRED)
    from playwright.async_api import async_playwright, expect

    from tests.browser.test_real_company import company_site

    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    base = deployment.public_url
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                # sangdam.test is this machine; its certificate is trusted by its key alone.
                f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
                f"--ignore-certificate-errors-spki-list={deployment.cert_spki}",
            ],
        )
        errors: list[str] = []
        owner_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
        owner = await owner_context.new_page()
        owner.on("pageerror", lambda exc: errors.append(str(exc)))
        await owner.goto(f"{base}/login")
        await owner.fill("input[name=email]", OWNER_EMAIL)
        await owner.fill("input[name=password]", OWNER_PASSWORD)
        await owner.click("button[type=submit]")
        await owner.wait_for_url(f"{base}/inbox/{deployment.workspace_id}")
        await expect(owner.locator("#conn-state")).to_have_text("실시간")
        # Behind TLS the session cookie is Secure (SANGDAM_SERVER__SECURE_COOKIES).
        cookies = {cookie["name"]: cookie for cookie in await owner_context.cookies()}
        assert cookies["sangdam_session"]["secure"] is True
        assert cookies["sangdam_session"]["httpOnly"] is True

        snippet = f'<script src="{base}/widget.js" data-key="{deployment.widget_key}" async></script>'
        with company_site(tmp_path, snippet) as site:
            customer_context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
            customer = await customer_context.new_page()
            customer.on("pageerror", lambda exc: errors.append(str(exc)))
            await customer.goto(site)
            await customer.locator("[data-sangdam] button.launcher").click()
            frame = customer.frame_locator("[data-sangdam] iframe")
            await frame.get_by_role("button", name="문의하기").click()

            async def both_ways(n: int) -> None:
                asked = f"재시작 {n}번째 질문입니다"
                await frame.locator("#input").fill(asked)
                await frame.locator("#input").press("Enter")
                mine = frame.locator(".message.mine:not(.pending) .bubble", has_text=asked)
                await expect(mine).to_have_count(1, timeout=30_000)
                item = owner.locator("#conversation-list li").first
                await expect(item).to_be_visible(timeout=30_000)
                await item.click()
                theirs = owner.locator("#messages .message.theirs .bubble", has_text=asked)
                await expect(theirs).to_have_count(1, timeout=30_000)
                answer = f"{n}번째 답변입니다"
                await owner.locator("#composer-input").fill(answer)
                await owner.locator("#composer-input").press("Enter")
                reply = frame.locator(".message.theirs .bubble", has_text=answer)
                await expect(reply).to_have_count(1, timeout=30_000)
                # Everything so far, once each, on both sides.
                await expect(frame.locator(".message .bubble")).to_have_count(2 * (n + 1))
                await expect(owner.locator("#messages .message .bubble")).to_have_count(
                    2 * (n + 1)
                )

            try:
                await both_ways(0)
                await customer.screenshot(path=str(artifacts / "deployment-widget-ko.png"))
                # A rolling restart: each node in turn, the pages stay open.
                for n, port in enumerate(deployment.node_ports, start=1):
                    assert await deployment.restart_node(port) in (0, -signal.SIGTERM)
                    await both_ways(n)
                    await expect(owner.locator("#conn-state")).to_have_text("실시간")
                    await expect(frame.locator("#net")).to_be_hidden()
            finally:
                await owner.screenshot(path=str(artifacts / "deployment-inbox-ko.png"))
                await customer.screenshot(path=str(artifacts / "deployment-widget-ko.png"))
            await customer_context.close()
        await owner_context.close()
        await browser.close()
    assert errors == []


# ---- a rolling restart under steady traffic -----------------------------------------------


class Visitor:
    """A widget client as frame.js is one: resumes from the seq it holds, sends again what
    was not acked (same client_id), and reconnects after a close."""

    def __init__(self, deployment: Deployment, token: str, conversation_id: int) -> None:
        self.deployment = deployment
        self.token = token
        self.conversation_id = conversation_id
        self.received: list[int] = []  # seqs of message.created, in arrival order
        self.position = 0
        self.sent: dict[str, str] = {}  # client_id -> body, every message ever sent
        self.unacked: dict[str, str] = {}
        self.closes: list[int] = []
        self.errors: list[dict[str, Any]] = []

    def note(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "message.created":
            message = frame["data"]["message"]
            if message["conversation_id"] == self.conversation_id:
                self.received.append(message["seq"])
                if message["seq"] == self.position + 1:
                    self.position = message["seq"]
        elif frame["type"] == "ack":
            self.unacked.pop(frame["ref"], None)
        elif frame["type"] == "error":
            self.errors.append(frame)

    async def run(self, stop: asyncio.Event, budget: int, pause: float) -> None:
        url = f"wss://127.0.0.1:{self.deployment.https_port}/ws/widget"
        while not stop.is_set() or self.unacked:
            try:
                async with connect(
                    url, ssl=self.deployment.ssl_context(), open_timeout=30
                ) as ws:
                    await self._session(ws, stop, budget, pause)
            except ConnectionClosed as closed:
                self.closes.append(closed.rcvd.code if closed.rcvd else 1006)
                await asyncio.sleep(random.uniform(0.1, 1.0))
            except (OSError, InvalidStatus, TimeoutError):
                await asyncio.sleep(0.5)

    async def _session(
        self, ws: ClientConnection, stop: asyncio.Event, budget: int, pause: float
    ) -> None:
        await ws.send(
            orjson.dumps(
                {
                    "type": "hello",
                    "token": self.token,
                    "conversations": {str(self.conversation_id): self.position},
                }
            ).decode()
        )
        while (frame := orjson.loads(await ws.recv()))["type"] != "ready":
            self.note(frame)
        for client_id, body in list(self.unacked.items()):
            await self._send(ws, client_id, body)

        async def read() -> None:
            while True:
                self.note(orjson.loads(await ws.recv()))

        reader = asyncio.create_task(read())
        try:
            while not (stop.is_set() and not self.unacked):
                if reader.done():
                    reader.result()
                if not stop.is_set() and len(self.sent) < budget:
                    client_id = os.urandom(8).hex()
                    body = f"{SECRET_WORD} {len(self.sent)}"
                    self.sent[client_id] = self.unacked[client_id] = body
                    await self._send(ws, client_id, body)
                await asyncio.wait({reader}, timeout=pause)
            await ws.close()
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await reader

    async def _send(self, ws: ClientConnection, client_id: str, body: str) -> None:
        await ws.send(
            orjson.dumps(
                {
                    "type": "message.send",
                    "conversation_id": self.conversation_id,
                    "client_id": client_id,
                    "body": body,
                }
            ).decode()
        )


class Agent:
    """The inbox as inbox.js is one: replies over HTTP (again with the same client_id after a
    failure), follows events on its socket and resumes from its last event id."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.message_ids: list[int] = []
        self.sent: set[str] = set()
        self.failures: list[str] = []  # answers a retry made up for (a 502 while restarting)
        self.closes: list[int] = []
        self.resyncs = 0
        self.epoch: str | None = None
        self.last_event_id: str | None = None

    async def follow(self, stop: asyncio.Event, cookie: str) -> None:
        while not stop.is_set():
            query = f"workspace_id={self.deployment.workspace_id}"
            if self.epoch and self.last_event_id:
                query += f"&epoch={self.epoch}&last_event_id={self.last_event_id}"
            try:
                async with connect(
                    f"wss://127.0.0.1:{self.deployment.https_port}/ws/agent?{query}",
                    ssl=self.deployment.ssl_context(),
                    origin=self.deployment.public_url,  # type: ignore[arg-type]
                    additional_headers={"Cookie": f"sangdam_session={cookie}"},
                    open_timeout=30,
                ) as ws:
                    async for raw in ws:
                        frame = orjson.loads(raw)
                        if frame["type"] == "ready":
                            self.epoch, self.last_event_id = frame["epoch"], frame["last_event_id"]
                        elif frame["type"] == "resync_required":
                            self.resyncs += 1
                        elif frame.get("event_id"):
                            self.epoch, self.last_event_id = frame["epoch"], frame["event_id"]
                        if frame["type"] == "message.created":
                            self.message_ids.append(frame["data"]["message"]["id"])
                        if stop.is_set():
                            break
            except ConnectionClosed as closed:
                self.closes.append(closed.rcvd.code if closed.rcvd else 1006)
                await asyncio.sleep(random.uniform(0.1, 1.0))
            except (OSError, InvalidStatus, TimeoutError):
                await asyncio.sleep(0.5)

    async def reply(
        self, client: httpx.AsyncClient, csrf: str, conversation_id: int, body: str
    ) -> None:
        client_id = os.urandom(8).hex()
        self.sent.add(client_id)
        path = (
            f"/api/v1/workspaces/{self.deployment.workspace_id}"
            f"/conversations/{conversation_id}/messages"
        )
        for _ in range(20):
            try:
                answer = await client.post(
                    path,
                    json={"body": body, "client_id": client_id},
                    headers={"X-CSRF-Token": csrf},
                )
                if answer.status_code == 201:
                    return
                self.failures.append(f"{answer.status_code}")
            except httpx.TransportError as exc:
                self.failures.append(type(exc).__name__)
            await asyncio.sleep(0.5)
        raise AssertionError(f"a reply never went through: {self.failures}")


async def test_a_rolling_restart_under_steady_traffic_loses_nothing_and_doubles_nothing(
    deployment: Deployment,
) -> None:
    import asyncpg

    client, csrf, cookie = await deployment.login()
    agent = Agent(deployment)
    stop = asyncio.Event()
    following = asyncio.create_task(agent.follow(stop, cookie))
    for _ in range(300):
        if agent.last_event_id is not None:
            break
        await asyncio.sleep(0.1)

    visitors: list[Visitor] = []
    async with deployment.client() as widget:
        for n in range(6):
            made = await widget.post(
                "/api/widget/v1/visitors", json={"inbox_key": deployment.widget_key}
            )
            token = made.json()["token"]
            started = await widget.post(
                "/api/widget/v1/conversations",
                json={"body": f"{SECRET_WORD} 시작 {n}", "client_id": os.urandom(8).hex()},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert started.status_code == 201, started.text
            visitors.append(Visitor(deployment, token, started.json()["conversation"]["id"]))

    async def replies() -> None:
        for n in itertools.count():
            if stop.is_set():
                return
            await agent.reply(client, csrf, visitors[n % len(visitors)].conversation_id, f"답 {n}")
            await asyncio.sleep(0.4)

    # Each visitor sends every 1.2 s (inside the per-visitor limit of 30 a minute).
    traffic = [asyncio.create_task(v.run(stop, budget=28, pause=1.2)) for v in visitors]
    replying = asyncio.create_task(replies())
    await asyncio.sleep(2)
    statuses = []
    for port in deployment.node_ports:
        statuses.append(await deployment.restart_node(port))
        await asyncio.sleep(2)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*traffic, replying), 120)
    # The agent's socket has seen everything once the last reply's event came.
    await asyncio.sleep(1)
    following.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await following
    await client.aclose()

    database = await asyncpg.connect(deployment.env["SANGDAM_DATABASE_URL"])
    try:
        rows = await database.fetch(
            "SELECT id, conversation_id, seq, client_id, kind FROM messages "
            "WHERE conversation_id = ANY($1::bigint[]) ORDER BY conversation_id, seq",
            [v.conversation_id for v in visitors],
        )
    finally:
        await database.close()

    # Every node exited on SIGTERM by itself, within systemd's stop timeout.
    assert all(status in (0, -signal.SIGTERM) for status in statuses), statuses
    by_conversation: dict[int, list[Any]] = {}
    for row in rows:
        by_conversation.setdefault(row['conversation_id'], []).append(row)
    stored_client_ids = [row['client_id'] for row in rows if row['client_id']]
    # Nothing doubled in the database: each client_id once; nothing lost: every one sent.
    assert len(stored_client_ids) == len(set(stored_client_ids))
    sent = set(agent.sent).union(*(v.sent for v in visitors))
    assert sent <= set(stored_client_ids)
    for visitor in visitors:
        history = by_conversation[visitor.conversation_id]
        seqs = [row['seq'] for row in history]
        assert seqs == list(range(1, len(seqs) + 1)), "a gap in the conversation's seqs"
        public = [row['seq'] for row in history if row['kind'] != "note"]
        # The customer saw every message of the conversation exactly once, in order.
        assert visitor.received == public, (visitor.received, public)
        assert visitor.errors == []
        # Its socket was closed by each restart it lived through, always with 1012.
        assert visitor.closes and set(visitor.closes) == {1012}, visitor.closes
    # The agent saw each message once, all of them, and never had to start over.
    assert len(agent.message_ids) == len(set(agent.message_ids))
    assert set(agent.message_ids) >= {row['id'] for row in rows}
    assert agent.resyncs == 0
    assert agent.closes and set(agent.closes) == {1012}, agent.closes
    # nginx sent every request to a node that answered it: none failed (a 502 "no live
    # upstreams" while one node restarts and the other is marked down, or a POST cut off
    # by a stopping node) and none needed the retry a client would make.
    assert agent.failures == [], agent.failures
    # The nodes logged each socket they closed for the restart.
    closed = [line for line in deployment.log_lines() if line["logger"] == "sangdam.sockets"]
    assert any(line.get("code") == 1012 and line["closed_by"] == "server" for line in closed)
    print(
        f"rolling restart: {len(rows)} messages in {len(visitors)} conversations, "
        f"{sum(len(v.closes) for v in visitors) + len(agent.closes)} sockets moved (1012), "
        f"{len(agent.failures)} agent requests retried: {agent.failures}"
    )


# ---- what the nodes logged ------------------------------------------------------------------


async def test_the_nodes_log_json_with_ids_the_real_client_address_and_no_secrets(
    deployment: Deployment,
) -> None:
    # A customer at 127.0.0.5 claims to be 203.0.113.7: nginx replaces the claim with the
    # address it saw, and the node (trusting nginx alone) logs that one.
    transport = httpx.AsyncHTTPTransport(
        local_address="127.0.0.5", verify=deployment.ssl_context()
    )
    async with httpx.AsyncClient(
        base_url=deployment.direct_url, transport=transport, timeout=30
    ) as customer:
        answer = await customer.post(
            "/api/widget/v1/visitors",
            json={"inbox_key": deployment.widget_key},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        assert answer.status_code == 201
        token = answer.json()["token"]
        request_id = answer.headers["x-request-id"]
        # A message whose words must reach no log line.
        started = await customer.post(
            "/api/widget/v1/conversations",
            json={"body": f"{SECRET_WORD}: 카드번호", "client_id": os.urandom(8).hex()},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert started.status_code == 201
    # nginx's $request_id (32 hex digits) reached the node and came back.
    assert len(request_id) == 32 and int(request_id, 16) >= 0

    # Through nginx, /metrics is not there; on the node's own port it is.
    async with deployment.client() as client:
        assert (await client.get("/metrics")).status_code == 404
    node = deployment.node_ports[0]
    metrics = run_step("metrics", {}, {"127.0.0.1:8001": f"127.0.0.1:{node}"}).stdout
    assert "sangdam_open_sockets" in metrics and "sangdam_messages_total" in metrics
    health = run_step("health", {}, {"127.0.0.1:8001": f"127.0.0.1:{node}"}).stdout
    assert '"status":"alive"' in health and '"status":"ready"' in health
    ready = run_step("ready", {}, {"--port 8001": f"--port {node}"}).stdout
    assert ready.startswith(f"Ready (http://127.0.0.1:{node}/readyz): database: reachable")
    # The same request's line, found with the doc's jq filter.
    combined = deployment.root / "all-nodes.log"
    combined.write_text(
        "".join(deployment.log_path(port).read_text() for port in deployment.node_ports)
    )
    journal = f"cat {combined}"
    found = run_step(
        "logs",
        {"REQUEST_ID": request_id},
        {"journalctl -u 'sangdam@*' -o cat --since -1h": journal},
    ).stdout.splitlines()
    ours = [json.loads(line) for line in found if request_id in line]
    assert ours, found
    assert ours[0]["route"] == "/api/widget/v1/visitors"
    assert ours[0]["client"] == "127.0.0.5"

    lines = deployment.log_lines()
    everything = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for secret in (SECRET_WORD, OWNER_PASSWORD, token, "sangdam_session="):
        assert secret not in everything, secret
    assert "203.0.113.7" not in everything
    requests = [line for line in lines if line["logger"] == "sangdam.http"]
    assert requests and all(line.get("request_id") for line in requests)
    api = [line for line in requests if "{workspace_id}" in line.get("route", "")]
    assert api and all(line.get("workspace_id") == deployment.workspace_id for line in api)
    sockets = [line for line in lines if line["logger"] == "sangdam.sockets"]
    assert sockets and all(line.get("connection_id") for line in sockets)
    # Levels per module (sangdam.env): uvicorn's start-up lines are below warning and
    # gone; the probes' request lines are at debug, and sangdam.http was set to debug.
    assert not any(line["logger"] == "uvicorn.error" and line["level"] == "info" for line in lines)
    assert any(line.get("route") == "/readyz" and line["level"] == "debug" for line in requests)
