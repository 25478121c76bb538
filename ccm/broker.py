"""What the Celery broker holds, asked through kombu so that it works on every transport."""

from typing import Any

from kombu.exceptions import ChannelError

from ccm.celery import app


def broker_queue_sizes(*, timeout: int = 3) -> dict[str, int]:
    """Tasks waiting in each queue the workers consume (not those a worker has taken).

    Raises kombu's OperationalError when the broker does not answer within ``timeout``
    seconds."""
    if app.conf.task_always_eager:
        return {}
    sizes: dict[str, int] = {}
    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
        channel: Any = connection.default_channel
        for name in app.amqp.queues:
            try:
                sizes[name] = channel.queue_declare(queue=name, passive=True).message_count
            except ChannelError:
                # Redis deletes an empty queue's key: the queue does not "exist".
                sizes[name] = 0
    return sizes
