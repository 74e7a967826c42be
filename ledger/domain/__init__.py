"""The domain: licences, departments, catalogue, grants and reads, as pure rules and events.

No I/O, no clock of its own, no storage: a handler passes the states and "today" in, and
gets events back or a named refusal (Art. N cited where a rule comes from).
"""
