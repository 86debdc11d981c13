"""The domain of joint enforcement linkage, pure and deterministic: no I/O once the data is loaded.

Workflows, activities and the API import this package; it imports none of them. Its data (agencies,
mechanism profiles, calendar years) is read once, at start-up, and a malformed file stops start-up.

Where to look: ``steps/`` (every step of the lifecycle, one module per phase), ``decide`` (may this
step be taken now), ``parties`` (who plays which part), ``payloads`` (the bodies of steps), ``clocks``
(deadlines), ``intake`` (how a case begins), ``view`` (what a caller sees), ``profiles`` (mechanisms).
"""
