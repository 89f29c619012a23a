"""makemessages without fuzzy matching: a new message gets an empty translation (which the
i18n test reports) instead of a guess from a similar one ("parent" of a region offered for a
relative)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
