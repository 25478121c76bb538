class DeliveryError(Exception):
    """A backend could not hand a message over.

    ``permanent`` is True when retrying cannot help (invalid recipient, rejected content):
    the message fails with this reason. Otherwise the pipeline retries with backoff.
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class RecipientRejected(DeliveryError):
    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class BackendConfigurationError(DeliveryError):
    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)
