"""No two enrolments of the same programme and beneficiary for overlapping months, in the
database itself: an exclusion constraint on PostgreSQL (safe under concurrent inserts; needs
the btree_gist extension), triggers on SQLite (whose writers are serialised)."""

from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE cases_enrolment ADD CONSTRAINT enrolment_no_overlap EXCLUDE USING gist "
    "(programme WITH =, beneficiary WITH =, daterange(start_month, end_month, '[]') WITH &&)",
]
POSTGRES_UNDO = ["ALTER TABLE cases_enrolment DROP CONSTRAINT enrolment_no_overlap"]
OVERLAP = (
    "SELECT 1 FROM cases_enrolment e WHERE e.programme = NEW.programme "
    "AND e.beneficiary = NEW.beneficiary "
    "AND e.start_month <= COALESCE(NEW.end_month, '9999-12-31') "
    "AND NEW.start_month <= COALESCE(e.end_month, '9999-12-31')"
)
SQLITE = [
    "CREATE TRIGGER enrolment_no_overlap_insert BEFORE INSERT ON cases_enrolment "
    f"FOR EACH ROW WHEN EXISTS ({OVERLAP}) "
    "BEGIN SELECT RAISE(ABORT, 'enrolment_no_overlap'); END",
    "CREATE TRIGGER enrolment_no_overlap_update BEFORE UPDATE OF programme, beneficiary, "
    "start_month, end_month ON cases_enrolment "
    f"FOR EACH ROW WHEN EXISTS ({OVERLAP} AND e.id <> NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'enrolment_no_overlap'); END",
]
SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS enrolment_no_overlap_insert",
    "DROP TRIGGER IF EXISTS enrolment_no_overlap_update",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_UNDO, "sqlite": SQLITE_UNDO}),
        )
    ]
