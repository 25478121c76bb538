import io
import json
import logging
import logging.config

import pytest
from celery.signals import task_postrun, task_prerun

from ccm.log_context import log_context, log_context_bind, log_context_clear


@pytest.fixture
def json_log(settings):
    """The LOGGING of the settings with the JSON format, into a buffer."""
    stream = io.StringIO()
    config = {
        **settings.LOGGING,
        "handlers": {
            "console": {
                **settings.LOGGING["handlers"]["console"],
                "formatter": "json",
                "stream": stream,
            }
        },
        "root": {"handlers": ["console"], "level": "INFO"},
    }
    logging.config.dictConfig(config)
    log_context_clear()
    try:
        yield stream
    finally:
        log_context_clear()
        logging.config.dictConfig(settings.LOGGING)


def _lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class LogContextTests:
    def test_records_carry_the_bound_batch_and_message_ids_as_json_fields(self, json_log):
        log_context_bind(batch_id=7)
        log_context_bind(message_id=42)
        logging.getLogger("channels.test").warning("sent %s", "x")
        (line,) = _lines(json_log)
        assert line["message"] == "sent x"
        assert line["level"] == "WARNING"
        assert line["logger"] == "channels.test"
        assert line["batch_id"] == 7
        assert line["message_id"] == 42
        assert "time" in line
        assert "task_id" not in line  # unbound ids are left out

    def test_a_celery_task_binds_its_ids_and_clears_them_after(self, json_log):
        class Task:
            name = "channels.tasks.messages_send"

        task_prerun.send(sender=Task, task_id="abc", task=Task, args=([1, 2],), kwargs={})
        logging.getLogger("channels.test").info("chunk")
        task_postrun.send(sender=Task, task_id="abc", task=Task, args=([1, 2],), kwargs={})
        logging.getLogger("channels.test").info("idle")
        chunk, idle = _lines(json_log)
        assert chunk["message_ids"] == [1, 2]
        assert chunk["task_id"] == "abc"
        assert chunk["task"] == "channels.tasks.messages_send"
        assert "message_ids" not in idle and "task_id" not in idle
        assert log_context() == {}

    def test_batch_dispatch_binds_its_batch(self, json_log):
        class Task:
            name = "channels.tasks.batch_dispatch"

        task_prerun.send(sender=Task, task_id="t", task=Task, args=(), kwargs={"batch_id": 9})
        assert log_context()["batch_id"] == 9

    def test_an_unknown_field_is_refused_by_name(self):
        with pytest.raises(ValueError, match="customer_email"):
            log_context_bind(customer_email="a@example.com")


class LogFormatSettingTests:
    def test_an_unknown_log_format_stops_the_start_naming_the_variable(self):
        import os
        import subprocess
        import sys

        result = subprocess.run(
            [sys.executable, "-c", "import ccm.settings.base"],
            env={**os.environ, "CCM_LOG_FORMAT": "xml"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert "CCM_LOG_FORMAT='xml': use plain or json." in result.stderr
