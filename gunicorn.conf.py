"""gunicorn's settings for the GigCX web server, read from the working directory:
``gunicorn gigcx.asgi:application`` (README, "Deploying"). Options on the command line win.
"""

import os

bind = os.environ.get("GIGCX_BIND", "0.0.0.0:8000")
# One uvicorn worker per core (WEB_CONCURRENCY overrides, as gunicorn itself reads it).
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
worker_class = "uvicorn_worker.UvicornWorker"
# A worker loads Django and the app before it reports in: about 15 s on a loaded 2-core
# machine, where gunicorn's 30 s default came close to killing workers in a loop. The same
# limit applies to a worker that stops answering later.
timeout = 120
graceful_timeout = 30
# gunicorn 26's control socket is one path per user: two sites (or a benchmark beside a
# site) under one user would share it. Nothing here uses it.
control_socket_disable = True
