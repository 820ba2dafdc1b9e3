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
            reference = body["content"]["application/json"]["schema"]["$ref"]
            assert schemas[reference.rsplit("/", 1)[1]].get("examples"), (path, method)
        if method in ("post", "patch", "delete") and not path.endswith("/language"):
            # Action items have no state a change could contradict: no 409.
            refusals = {"403", "422"} if "/action-items" in path else {"403", "409", "422"}
            assert refusals <= set(operation["responses"]), (path, method)
