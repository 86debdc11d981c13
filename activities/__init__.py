"""The only code that touches the outside world from a workflow: agency systems and the read model."""
