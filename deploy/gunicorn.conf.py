"""gunicorn settings: ``gunicorn --config deploy/gunicorn.conf.py ccm.wsgi``.

Tuned by environment variables (deploy/.env.example lists them).
https://docs.gunicorn.org/en/stable/settings.html
"""

import multiprocessing
import os
from typing import Any

bind = os.environ.get("CCM_WEB_BIND", "127.0.0.1:8000")
# Requests wait on PostgreSQL and Redis more than on the CPU: the usual 2 x cores + 1.
workers = int(os.environ.get("CCM_WEB_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("CCM_WEB_THREADS", "1"))
timeout = int(os.environ.get("CCM_WEB_TIMEOUT", "60"))
graceful_timeout = 30
# nginx (or the load balancer) sets X-Forwarded-Proto; trust it only from there.
forwarded_allow_ips = os.environ.get("CCM_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Recycle workers now and then (slow leaks in libraries), not all at once.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Workers' heartbeat files in memory: on a slow disk gunicorn may take them for hung.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented choice, not a shared temp file
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None


def child_exit(server: Any, worker: Any) -> None:
    """A worker's Prometheus samples stay counted after it exits; its live gauges do not."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
