"""The read model: what the API and the dashboard read. Written only by activities (and the key command)."""
