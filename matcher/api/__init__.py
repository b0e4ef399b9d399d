"""HTTP API over the engine (FastAPI)."""
