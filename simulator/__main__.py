"""``python -m simulator --port 8700``: the agency simulator as its own process."""

from __future__ import annotations

import argparse

import uvicorn

from logs import configure_logging
from settings import Settings
from simulator.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Plays the outside agencies over HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    args = parser.parse_args()
    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        timeout_graceful_shutdown=2,  # a simulated hang must not hold a shutdown
    )


if __name__ == "__main__":
    main()
