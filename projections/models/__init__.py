"""The read models and their queries: licence state, public register, wallet, use, statistics."""
