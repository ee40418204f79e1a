"""Benchmarks, run as `python -m tests.bench.<name>`. The site refuses to start without a secret
key, so a run makes one here, before any benchmark starts a server or a worker that inherits it;
those servers speak plain HTTP on 127.0.0.1."""

import os
import secrets

os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_HTTPS", "0")
