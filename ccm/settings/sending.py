"""The pipeline: render budgets, chunks, claims, attempts, quiet hours, marketing caps."""

from ccm.env import env_choices, env_int, env_str
from ccm.vocabulary import Channel

# CHANNELS -----------------------------------------------------------------------------
# The render budget (rendering/sandbox/budget.py; docs/security.md "Templates"): what one render
# of a template (preview, lint, test send, each message of a batch) may cost. Over any of
# these, the render fails with the limit named and the message fails on its own.
CCM_RENDER_MAX_OUTPUT_CHARS = env_int("CCM_RENDER_MAX_OUTPUT_CHARS", 2_000_000)
CCM_RENDER_MAX_STRING_LENGTH = env_int("CCM_RENDER_MAX_STRING_LENGTH", 1_000_000)
CCM_RENDER_MAX_INTEGER_DIGITS = env_int("CCM_RENDER_MAX_INTEGER_DIGITS", 100)
CCM_RENDER_MAX_LOOP_ITERATIONS = env_int("CCM_RENDER_MAX_LOOP_ITERATIONS", 100_000)
# CPU time of one render, and of all the renders of one web request together (a preview,
# lint, submission or test send: every channel and language; channels/middleware.py).
CCM_RENDER_MAX_CPU_SECONDS = env_int("CCM_RENDER_MAX_CPU_SECONDS", 5)
# Previews and lints per person (channels/middleware.py): running at once, and per period;
# over either, 429 with Retry-After. Live preview sends one request per pause in typing.
CCM_RENDER_CONCURRENT_PER_USER = env_int("CCM_RENDER_CONCURRENT_PER_USER", 4)
CCM_RENDER_RATE_LIMIT = env_str("CCM_RENDER_RATE_LIMIT", "240/min")
# Elements nested in an email or letter; WeasyPrint recurses per level (Python's limit
# is reached at about 130 levels) and the CSS inliner crashes past about 10,000.
CCM_RENDER_MAX_HTML_DEPTH = env_int("CCM_RENDER_MAX_HTML_DEPTH", 64)
# Messages per Celery task; one SMTP connection / SMS session is reused per chunk.
CCM_CHUNK_SIZE = env_int("CCM_CHUNK_SIZE", 200)
# A message claimed longer ago than this is taken back by the sweeper (dead worker).
CCM_CLAIM_TIMEOUT_SECONDS = env_int("CCM_CLAIM_TIMEOUT_SECONDS", 15 * 60)
# A message is given up (failed) after this many attempts: crashes of its worker and
# transient errors, each retried after a back-off of 30 s doubling up to an hour.
CCM_MAX_ATTEMPTS = env_int("CCM_MAX_ATTEMPTS", 10)
# Sent messages are recorded this many at a time. A worker killed between the provider's
# acceptance and the record leaves at most this many to be sent again (same Message-ID
# and bytes, flagged as possible duplicates): the window for duplicates.
CCM_SENT_RECORD_EVERY = env_int("CCM_SENT_RECORD_EVERY", 20)
# Connections each worker process sends a chunk's emails on at once (SMTP or an ESP's API).
CCM_EMAIL_CONNECTIONS = env_int("CCM_EMAIL_CONNECTIONS", 2)
# No message of these channels reaches a recipient between start and end of their local
# day (batch messages wait; real-time messages such as one-time codes are not held).
CCM_QUIET_HOURS = {
    "start": env_str("CCM_QUIET_HOURS_START", "21:00"),
    "end": env_str("CCM_QUIET_HOURS_END", "08:00"),
    "channels": env_choices("CCM_QUIET_HOURS_CHANNELS", "sms", tuple(Channel.values)),
}
# At most this many marketing messages per customer within this many days.
CCM_MARKETING_CAP_MESSAGES = env_int("CCM_MARKETING_CAP_MESSAGES", 3)
CCM_MARKETING_CAP_DAYS = env_int("CCM_MARKETING_CAP_DAYS", 7)
CCM_MESSAGE_ID_DOMAIN = env_str("CCM_MESSAGE_ID_DOMAIN", "ccm.example.com")
CCM_BASE_URL = env_str("CCM_BASE_URL", "http://127.0.0.1:8000")
# How long an Idempotency-Key and its first answer are kept.
CCM_IDEMPOTENCY_TTL_HOURS = env_int("CCM_IDEMPOTENCY_TTL_HOURS", 24)
