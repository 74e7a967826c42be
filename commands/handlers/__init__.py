"""Command handlers: load the streams, call the domain, return the events. One per command."""
