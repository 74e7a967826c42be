"""Authorisation: who may send which command, as one policy a reviewer reads whole."""
