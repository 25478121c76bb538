from ccm.sentry import before_breadcrumb, before_send, scrub_text


class SentryScrubbingTests:
    def test_emails_and_phone_numbers_are_masked_everywhere_in_the_event(self):
        event = {
            "message": "refused for jane.doe+bills@example.co.uk",
            "exception": {
                "values": [
                    {
                        "value": "SMS to +44 7700 900123 failed",
                        "stacktrace": {
                            "frames": [{"vars": {"recipient": "'+819012345678'", "count": 3}}]
                        },
                    }
                ]
            },
            "extra": {"to": ["bob@example.com", "(020) 7946-0958"]},
            "user": {"id": "17", "email": "op@example.com", "ip_address": "192.0.2.1"},
        }
        scrubbed = before_send(event, {})
        text = repr(scrubbed)
        for personal in ("jane.doe", "bob@", "7700 900123", "819012345678", "7946", "op@"):
            assert personal not in text
        assert scrubbed["message"] == "refused for [email]"
        assert scrubbed["exception"]["values"][0]["value"] == "SMS to [phone] failed"
        assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["count"] == 3
        assert scrubbed["user"] == {"id": "17"}

    def test_ids_dates_and_versions_are_kept(self):
        text = "batch 1234 message 567890 at 2026-11-23 12:00:01 version 3.2.1 port 5432"
        assert scrub_text(text) == text

    def test_breadcrumbs_are_scrubbed(self):
        crumb = {"message": "SELECT ... WHERE email = 'a@b.example'", "category": "query"}
        assert before_breadcrumb(crumb, {})["message"] == "SELECT ... WHERE email = '[email]'"


def _staging_init() -> None:
    from ccm import sentry

    sentry.sentry_init(
        dsn="https://public@sentry.example.invalid/1",
        environment="staging",
        release="",
        traces_sample_rate=0.0,
    )


class SentryInitTests:
    def test_it_reports_without_personal_data_and_through_the_scrubber(self):
        import sentry_sdk

        from ccm import sentry

        try:
            _staging_init()
            options = sentry_sdk.get_client().options
            collection = options["data_collection"]
            assert collection["user_info"] is False
            assert collection["cookies"]["mode"] == "off"
            assert collection["http_bodies"] == []
            assert collection["url_query_params"]["mode"] == "off"
            assert collection["database_query_data"] is False
            assert options["before_send"] is sentry.before_send
            assert options["before_breadcrumb"] is sentry.before_breadcrumb
            assert options["environment"] == "staging"
        finally:
            sentry_sdk.init(dsn=None)

    def test_an_event_that_leaves_carries_no_address_and_no_user_identity(self):
        import sentry_sdk
        from sentry_sdk.transport import Transport

        class Capturing(Transport):
            def __init__(self, options=None):
                super().__init__(options)
                self.events = []

            def capture_envelope(self, envelope):
                self.events.extend(item.get_event() for item in envelope.items if item.get_event())

        try:
            _staging_init()
            transport = Capturing(sentry_sdk.get_client().options)
            sentry_sdk.get_client().transport = transport
            with sentry_sdk.new_scope() as scope:
                scope.set_user({"id": "17", "email": "op@example.com"})
                sentry_sdk.capture_message("bounce for jane.doe@example.co.uk")
            sentry_sdk.flush()
            assert len(transport.events) == 1
            event = transport.events[0]
            assert event["message"] == "bounce for [email]"
            assert event["user"] == {"id": "17"}
            assert "op@example.com" not in repr(event)
        finally:
            sentry_sdk.init(dsn=None)
