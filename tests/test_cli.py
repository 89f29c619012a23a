from typer.testing import CliRunner

from minzheng.accounts.models import User
from minzheng.cli import app
from minzheng.regions.models import Region

runner = CliRunner()


def test_init_loads_regions_and_demo_users_and_can_run_twice(transactional_db):
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["init"])
    assert second.exit_code == 0 and "102 unchanged" in second.output
    assert Region.objects.count() == 102 + 14
    assert set(User.objects.values_list("username", flat=True)) >= {
        "caseworker",
        "approver",
        "outsider",
        "admin",
    }
    assert User.objects.get(username="caseworker").check_password("Zj@demo2026")


def test_regions_load_reports_errors_and_exits_non_zero(db, tmp_path):
    runner.invoke(app, ["init", "--no-demo-users"])
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code\n330106001,西溪街道,330102\n", encoding="utf-8")
    result = runner.invoke(app, ["regions", "load", str(bad)])
    assert result.exit_code == 1 and "330102" in result.output and "parent_code" in result.output


def test_users_create_checks_role_and_region(db):
    runner.invoke(app, ["init", "--no-demo-users"])
    args = [
        "users",
        "create",
        "--username",
        "zs",
        "--role",
        "approver",
        "--password",
        "Good-Pass#2026",
    ]
    unknown = runner.invoke(app, [*args, "--region", "339999"])
    assert unknown.exit_code == 1 and "339999" in unknown.output
    made = runner.invoke(app, [*args, "--region", "330102"])
    assert made.exit_code == 0 and User.objects.get(username="zs").region_id == "330102"
