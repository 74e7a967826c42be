"""The projection engine: read models' shape, the runner and its pipeline, stuck isolation."""
