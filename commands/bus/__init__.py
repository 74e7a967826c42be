"""The command bus: decode ▸ authenticate ▸ authorise ▸ handle ▸ save with position."""
