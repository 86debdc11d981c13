"""Container health probe for the linkage image (the slim image has no curl): GET a URL, healthy on 2xx.

With no argument it asks the API's readiness, ``http://127.0.0.1:8000/healthz`` (Temporal and the
database answer), as the Dockerfile's HEALTHCHECK does; compose.yaml gives the worker its metrics URL
and the simulator its ``/healthz``. Proxies from the environment are ignored: the probe is local.
"""

from __future__ import annotations

import sys
import urllib.request

DEFAULT = "http://127.0.0.1:8000/healthz"


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=4) as response:
            status = int(response.status)
    except Exception as exc:  # any failure to answer is "unhealthy", with the reason in the log
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
