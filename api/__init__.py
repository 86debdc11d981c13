"""The HTTP API: intake, reads, actions, evidence, health and metrics. No business rule lives here."""
