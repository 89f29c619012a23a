"""The legal steps of a case (救助"一件事"), as one table (framework-free).

A case moves `draft → submitted → verifying (核对) → township_review (入户调查) →
public_notice (公示) → county_approval → approved | rejected`; a step that finds something
missing sends it back (`returned`, 补正) with a reason and a due date, and a returned case is
submitted again. The fast lane goes from `verifying` straight to `public_notice` (no home
visit) when the programme allows it and the result is clear.
"""

from __future__ import annotations

from minzheng.lib.i18n import RequestError, gettext_noop, pgettext_lazy

DRAFT = "draft"
SUBMITTED = "submitted"
VERIFYING = "verifying"
TOWNSHIP_REVIEW = "township_review"
PUBLIC_NOTICE = "public_notice"
COUNTY_APPROVAL = "county_approval"
APPROVED = "approved"
REJECTED = "rejected"
RETURNED = "returned"

STATES = {
    DRAFT: pgettext_lazy("case state", "draft"),
    SUBMITTED: pgettext_lazy("case state", "submitted"),
    VERIFYING: pgettext_lazy("case state", "economic-status check"),
    TOWNSHIP_REVIEW: pgettext_lazy("case state", "township review and home visit"),
    PUBLIC_NOTICE: pgettext_lazy("case state", "public notice"),
    COUNTY_APPROVAL: pgettext_lazy("case state", "county approval"),
    APPROVED: pgettext_lazy("case state", "approved"),
    REJECTED: pgettext_lazy("case state", "rejected"),
    RETURNED: pgettext_lazy("case state", "returned for supplements"),
}
FINAL = frozenset({APPROVED, REJECTED})

# action → (the states it may start from, the state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({DRAFT, RETURNED}), SUBMITTED),
    "verify": (frozenset({SUBMITTED}), VERIFYING),
    "start_review": (frozenset({VERIFYING}), TOWNSHIP_REVIEW),
    "fast_lane": (frozenset({VERIFYING}), PUBLIC_NOTICE),
    "record_visit": (frozenset({TOWNSHIP_REVIEW}), PUBLIC_NOTICE),
    "close_notice": (frozenset({PUBLIC_NOTICE}), COUNTY_APPROVAL),
    "approve": (frozenset({COUNTY_APPROVAL}), APPROVED),
    "reject": (frozenset({COUNTY_APPROVAL}), REJECTED),
    "return": (
        frozenset({SUBMITTED, VERIFYING, TOWNSHIP_REVIEW, PUBLIC_NOTICE, COUNTY_APPROVAL}),
        RETURNED,
    ),
}
ACTIONS = {
    "submit": pgettext_lazy("case action", "submit"),
    "verify": pgettext_lazy("case action", "run the economic-status check"),
    "start_review": pgettext_lazy("case action", "start the township review"),
    "fast_lane": pgettext_lazy("case action", "take the fast lane"),
    "record_visit": pgettext_lazy("case action", "record the home visit"),
    "close_notice": pgettext_lazy("case action", "close the public notice"),
    "approve": pgettext_lazy("case action", "approve"),
    "reject": pgettext_lazy("case action", "reject"),
    "return": pgettext_lazy("case action", "return for supplements"),
}
# Entries of a case's timeline that are not steps between states.
EVENTS = {
    "open": pgettext_lazy("case event", "opened"),
    "programme_added": pgettext_lazy("case event", "programme added"),
    "programme_dropped": pgettext_lazy("case event", "programme dropped"),
    "objection_recorded": pgettext_lazy("case event", "objection recorded"),
    "objection_resolved": pgettext_lazy("case event", "objection resolved"),
    "attachment_added": pgettext_lazy("case event", "document added"),
}
# The step whose working-day limit runs in each state (a dated parameter of that name).
LIMITS = {
    SUBMITTED: "intake",
    VERIFYING: "intake",
    TOWNSHIP_REVIEW: "township_review",
    COUNTY_APPROVAL: "county_approval",
    RETURNED: "supplement",
}


class TransitionError(RequestError):
    """An action the case's state does not allow."""


def next_state(state: str, action: str) -> str:
    """The state `action` leads to from `state`, or a refusal naming both."""
    if action not in TRANSITIONS:
        raise TransitionError(
            "unknown_action", gettext_noop("%(action)s is not a step of a case."), action=action
        )
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise TransitionError(
            "illegal_transition",
            gettext_noop("A case in the state “%(state)s” cannot take the step “%(action)s”."),
            status=409,
            state=STATES.get(state, state),
            action=ACTIONS[action],
        )
    return target


def allowed_actions(state: str) -> list[str]:
    """The actions a case in `state` may take, in the table's order."""
    return [a for a, (sources, _target) in TRANSITIONS.items() if state in sources]
