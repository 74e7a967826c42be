"""Command messages: the wire payload types, their strict decoding, and their bounds."""
