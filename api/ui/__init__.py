"""The coordinator dashboard: server-rendered pages (Jinja2) with a little JavaScript, under ``/``."""
