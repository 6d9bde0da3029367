"""The REST API for CI/CD pipelines, mounted at /api/v1/ (see docs/api.md)."""
