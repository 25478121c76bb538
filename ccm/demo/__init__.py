"""The demo: a brand, its people, three communications in English and Japanese,
customers and a batch in flight, so that a newcomer sees the whole platform at work."""

from ccm.demo.loading import DemoLoadError, DemoSummary, demo_is_loaded, demo_load

__all__ = ["DemoLoadError", "DemoSummary", "demo_is_loaded", "demo_load"]
