"""DRF's JSON parser, stricter: a bad encoding, NaN/Infinity or JSON nested too deep for
Python's parser is a 400, never a 500. (A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused
before parsing: a 413, see errors.py.)"""

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(stream.read().decode(encoding), parse_constant=_reject_constant)
        except (ValueError, LookupError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
