"""What the Celery broker holds, asked through kombu so that it works on every transport."""

from kombu.exceptions import ChannelError

from ccm.celery import app


def broker_queue_sizes() -> dict[str, int]:
    """Tasks waiting in each queue the workers consume (not those a worker has taken)."""
    if app.conf.task_always_eager:
        return {}
    sizes: dict[str, int] = {}
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        for name in app.amqp.queues:
            try:
                declared = channel.queue_declare(queue=name, passive=True)  # type: ignore[attr-defined]
                sizes[name] = declared.message_count
            except ChannelError:
                # Redis deletes an empty queue's key: the queue does not "exist".
                sizes[name] = 0
    return sizes
