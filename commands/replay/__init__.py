"""Replay: re-derive every stored event from its signed command and compare (the insider check)."""
