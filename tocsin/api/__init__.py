"""The HTTP API: FastAPI routers and their request and response schemas."""
