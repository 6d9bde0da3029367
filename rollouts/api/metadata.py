"""OPTIONS answers what `Allow` lists: the methods, the media types, where the schema is.

No CORS: the console's API is for pipelines, not for other sites' pages; the OpenAPI schema
is the full description of each operation."""

from django.urls import reverse
from rest_framework.metadata import BaseMetadata


class AllowMetadata(BaseMetadata):
    def determine_metadata(self, request, view) -> dict:
        return {
            "methods": list(view.allowed_methods),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": reverse("api-schema"),
        }
