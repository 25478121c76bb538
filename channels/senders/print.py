"""How a letter leaves the chunk: the chunk's letters laid out one by one and written as
one PDF, cut into one PDF/A per letter (``rendering.pdf.render_pdfs``: fonts embedded
once), archived, and left ``awaiting_print`` with their page count. Print runs
(``channels.services.printing``) join them into print files for the print backend."""

from ccm.vocabulary import Channel
from channels.models import Message
from channels.senders.base import Outgoing, Sender
from rendering.exceptions import RenderError
from rendering.pdf import render_pdfs
from rendering.types import Rendered


class PrintSender(Sender):
    channel = Channel.PRINT
    hands_over = False
    builds_together = True

    def build_together(self, items: list[tuple[Message, Rendered]]) -> list[Outgoing | RenderError]:
        pdfs = render_pdfs([rendered for _, rendered in items])
        built: list[Outgoing | RenderError] = []
        for (message, rendered), pdf in zip(items, pdfs, strict=True):
            if isinstance(pdf, RenderError):
                built.append(pdf)
                continue
            built.append(
                Outgoing(
                    message=message,
                    rendered=rendered,
                    content=pdf.content,
                    content_type="application/pdf",
                    backend="print:default",
                    sent_backend="print:default",
                    summary=rendered.text[:500],
                    pages=pdf.pages,
                )
            )
        return built
