"""The sharing service: the ledger's HTTP door (FastAPI on uvicorn), docs/service.md.

A second door to the same bus, not a second system. Departments' systems post the same
signed envelopes as the wire format, so the HTTP layer adds nothing to trust; one writer
thread owns the services of the composition root and commits the requests of a few
milliseconds together (group commit), answering none before it is durable. The public
sees a QR code's status and only what the catalogue discloses; auditors get checkpoints
and proofs.
"""
