"""Errors of the policy engine: each names the field, parameter or value at fault."""

from __future__ import annotations

from minzheng.lib.i18n import TranslatableError


class PolicyError(TranslatableError):
    """Base class: a clear message with a stable code."""


class ParameterError(PolicyError):
    """A parameter file or override is malformed, or a parameter does not exist."""


class HouseholdFileError(PolicyError):
    """A household file does not follow the v1 format."""


class BackendError(PolicyError):
    """The backend cannot do what was asked."""
