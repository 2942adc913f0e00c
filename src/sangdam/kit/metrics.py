"""What this process counts, for ``/metrics`` (Prometheus's text format, prometheus-client).

Counters and histograms here are per process: Prometheus scrapes every node and adds
them up (``sum by (…)``). Numbers that live in the database (queues, job backlog, the
bot's answers) are read when ``/metrics`` is asked (``ops.service.database_metrics``),
so every node reports the same ones: take their ``max``, not their sum.

Labels are kinds, codes and route templates, never ids a visitor controls, so the
number of series stays small.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# "…_created" timestamps per series double the output and no dashboard uses them.
# (prometheus-client leaves this one function unannotated.)
disable_created_metrics()  # type: ignore[no-untyped-call]

# Seconds from reading a frame to sending its ack (stored and committed): what a person
# feels as "sent". Group commit keeps most under 10 ms; a stalled disk shows at 1 s.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

OPEN_SOCKETS = Gauge(
    "sangdam_open_sockets", "WebSockets open on this process, by kind.", ["kind"]
)
SOCKET_CLOSES = Counter(
    "sangdam_socket_closes",
    "WebSockets closed, by who closed them and the close code (1012: server restarting).",
    ["by", "code"],
)
MESSAGES = Counter(
    "sangdam_messages",
    "Messages stored and published by this process, by sender (contact, agent, bot, system).",
    ["sender"],
)
ACK_SECONDS = Histogram(
    "sangdam_ack_seconds",
    "From reading a message.send frame to sending its ack, by socket kind.",
    ["kind"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "sangdam_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "sangdam_http_request_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
JOB_ATTEMPTS = Counter(
    "sangdam_job_attempts",
    "Background job attempts, by kind and outcome (done, retry, failed: given up).",
    ["kind", "outcome"],
)
OUTBOUND_FAILURES = Counter(
    "sangdam_outbound_failures",
    "Calls to outside services (Slack, webhooks, the customer-data card) that failed, by reason.",
    ["reason"],
)
BROKER_PUBLISH_FAILURES = Counter(
    "sangdam_broker_publish_failures",
    "Batches of events this process could not hand to the broker (clients resynchronise).",
)
