import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from ccm.mailbox import MailboxWriter, SmtpSinkHandler

logger = logging.getLogger("ccm.mailbox")


class Command(BaseCommand):
    help = (
        "A local SMTP server that accepts every email and keeps it, byte for byte, as an "
        ".eml file in CCM_MAILBOX_DIR (shown at /mailbox/). Nothing is relayed."
    )

    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1025)
        parser.add_argument(
            "--directory", help="Where to keep the emails (default: CCM_MAILBOX_DIR)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"] or settings.CCM_MAILBOX_DIR)
        # aiosmtpd logs every SMTP command at INFO; one line per email is ours to log.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        handler = SmtpSinkHandler(MailboxWriter(directory))
        asyncio.run(self._serve(handler, options["host"], options["port"], directory))

    async def _serve(self, handler: SmtpSinkHandler, host: str, port: int, directory: Path) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="ccm-smtp-sink", enable_SMTPUTF8=True), host, port
        )
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        logger.info("SMTP sink listening on %s:%s, keeping emails in %s", host, port, directory)
        async with server:
            await stop.wait()
        logger.info("SMTP sink stopped")
