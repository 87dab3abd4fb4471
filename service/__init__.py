"""The FastAPI service: REST, live WebSocket, review pages."""
