"""``python -m api --port 8000``: the API as its own process."""

from __future__ import annotations

import argparse

import uvicorn

from api.app import create_app
from logs import configure_logging
from settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description="The linkage API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)


if __name__ == "__main__":
    main()
