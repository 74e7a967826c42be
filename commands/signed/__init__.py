"""Signed envelopes: the bytes a department signs, and authenticating them against its keys."""
