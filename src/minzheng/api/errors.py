"""Every API error as JSON: {"detail": the reason in the user's language, "code": a stable
code}, schema errors with the fields named ("errors": [{"field", "message"}])."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from minzheng.lib.i18n import TranslatableError, gettext_noop, shown


class ErrorOut(Schema):
    """An error answer (every 4xx of the API)."""

    detail: str
    code: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ValidationErrorOut(ErrorOut):
    """A request that does not fit the schema: each field with what is wrong with it."""

    errors: list[FieldErrorOut]


# The 4xx answers every operation may give (documented in the OpenAPI schema).
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    422: ValidationErrorOut,
}

# Django Ninja's own refusals are English HttpErrors: their code and Chinese message.
NINJA_MESSAGES = {
    "Cannot parse request body": (
        "bad_body",
        gettext_noop("The request body cannot be read: send JSON in UTF-8."),
    ),
    "CSRF check Failed": (
        "csrf_failed",
        gettext_noop(
            "The CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken "
            "header (or reload the page)."
        ),
    ),
}

# What a schema error means, by Pydantic's error type (the rest: the generic message).
PYDANTIC_MESSAGES = {
    "missing": gettext_noop("required"),
    "string_type": gettext_noop("must be a string"),
    "int_type": gettext_noop("must be an integer"),
    "int_parsing": gettext_noop("must be an integer"),
    "bool_type": gettext_noop("must be true or false"),
    "bool_parsing": gettext_noop("must be true or false"),
    "date_type": gettext_noop("must be a date (YYYY-MM-DD)"),
    "date_parsing": gettext_noop("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": gettext_noop("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": gettext_noop("must be a date (YYYY-MM-DD)"),
    "datetime_type": gettext_noop("must be a date and time (YYYY-MM-DDTHH:MM)"),
    "datetime_parsing": gettext_noop("must be a date and time (YYYY-MM-DDTHH:MM)"),
    "datetime_from_date_parsing": gettext_noop("must be a date and time (YYYY-MM-DDTHH:MM)"),
    "dict_type": gettext_noop("must be a JSON object"),
    "model_type": gettext_noop("must be a JSON object"),
    "model_attributes_type": gettext_noop("must be a JSON object"),
    "json_invalid": gettext_noop("is not valid JSON"),
    "too_long": gettext_noop("is too long"),
    "string_too_long": gettext_noop("is too long"),
}
GENERIC = gettext_noop("is not valid")


def _field(loc: tuple | list) -> str:
    """The field's path as the client wrote it: ("body", "payload", "date") → "date"."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["body"]:
        parts = parts[2:] or parts[1:]
    elif parts[:1] in (["query"], ["path"]):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(errors: list[dict]) -> list[dict]:
    """Pydantic's errors as {field, message} in the user's language."""
    out = []
    for err in errors:
        message = gettext(PYDANTIC_MESSAGES.get(err.get("type", ""), GENERIC))
        if err.get("type") != "missing" and "input" in err:
            message += gettext(" (got %(value)s)") % {"value": shown(err["input"])}
        out.append({"field": _field(err.get("loc", ())), "message": message})
    return out


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every refusal into {detail, code}."""

    def answer(request: HttpRequest, status: int, code: str, detail: str, **extra) -> HttpResponse:
        return api.create_response(
            request, {"detail": detail, "code": code, **extra}, status=status
        )

    @api.exception_handler(TranslatableError)
    def _translatable(request: HttpRequest, exc: TranslatableError):
        return answer(request, getattr(exc, "status", 400), exc.code, exc.translated())

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: Exception):
        return answer(request, 401, "not_authenticated", gettext("Please log in first."))

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError):
        text = str(exc)
        known = next((v for k, v in NINJA_MESSAGES.items() if text.startswith(k)), None)
        if known:
            return answer(request, exc.status_code, known[0], gettext(known[1]))
        return answer(request, exc.status_code, getattr(exc, "code", "error"), text)

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError):
        errors = validation_errors(exc.errors)
        detail = "；".join(f"{e['field']}：{e['message']}" for e in errors)
        return answer(request, 422, "invalid_request", detail, errors=errors)

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: Exception):
        return answer(request, 413, "body_too_large", gettext("The request body is too large."))

    @api.exception_handler(SuspiciousOperation)
    def _suspicious(request: HttpRequest, exc: Exception):
        return answer(request, 400, "bad_request", gettext("The request cannot be accepted."))
