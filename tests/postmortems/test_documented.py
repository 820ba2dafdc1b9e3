"""Every postmortem operation is documented: a summary, its refusals, a request example."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_every_postmortem_operation_is_documented_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in spec["paths"].items()
        if path.startswith(("/api/v1/postmortems", "/api/v1/action-items"))
        or path.endswith("/postmortem")
        for method, operation in methods.items()
    ]
    assert len(operations) >= 8
    schemas = spec["components"]["schemas"]
    for path, method, operation in operations:
        assert operation.get("summary"), (path, method)
        assert "401" in operation["responses"], (path, method)
        body = operation.get("requestBody")
        if body:
            schema = body["content"]["application/json"]["schema"]
            # An optional body: its model or nothing.
            schema = next((s for s in schema.get("anyOf", []) if "$ref" in s), schema)
            if "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
            assert schema.get("examples"), (path, method)
        if method in ("post", "patch", "delete") and not path.endswith("/language"):
            if "/trackers/" in path:
                # An issue tracker's events: signed with its own secret, no role to lack.
                refusals = {"401", "404", "422"}
            elif "/action-items" in path:
                # Action items have no state a change could contradict: no 409.
                refusals = {"403", "422"}
            else:
                refusals = {"403", "409", "422"}
            assert refusals <= set(operation["responses"]), (path, method)
