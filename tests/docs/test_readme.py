"""The README's table of actions says what the steps say: each action, who takes it, its body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cases.payloads import fields_of
from cases.steps import STEPS, Step

README = Path(__file__).resolve().parents[2] / "README.md"
START = (
    "<!-- actions: the table below is checked against the steps by tests/docs/test_readme.py -->"
)
END = "<!-- /actions -->"


def row(step: Step[Any]) -> str:
    who = "; ".join(
        f"{party.value}: {'/'.join(sorted(r.value for r in roles))}"
        for party, roles in step.movers.items()
    )
    fields = ", ".join(
        f"**{f.name}**" if f.required else f.name
        for f in fields_of(step.payload)
        if f.name != "note" or f.required
    )
    return f"| `{step.name}` | {step.label_zh} | {who} | {fields or '—'} |"


def table() -> list[str]:
    return [row(step) for step in STEPS.values()]


def test_the_readme_lists_every_action_with_its_body() -> None:
    text = README.read_text(encoding="utf-8")
    block = text[text.index(START) : text.index(END)].splitlines()
    rows = [line for line in block if line.startswith("| `")]
    assert rows == table(), "regenerate the table: python -m tests.docs.test_readme"


if __name__ == "__main__":
    print("\n".join(table()))
