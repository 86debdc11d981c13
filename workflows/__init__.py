"""Durable workflows: one ``CaseWorkflow`` per case. Deterministic code only."""
