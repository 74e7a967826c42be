"""The service's routes, one module per audience: health, commands, public,
transparency, files."""
