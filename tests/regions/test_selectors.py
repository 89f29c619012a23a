from django.db import connection
from django.test.utils import CaptureQueriesContext

from minzheng.regions.models import Region
from minzheng.regions.selectors import (
    region_ancestors,
    region_children,
    region_children_with_counts,
    region_descendants,
    region_path_names,
)


def test_the_shipped_divisions_are_the_real_102(regions):
    assert Region.objects.filter(level="province").count() == 1
    assert Region.objects.filter(level="city").count() == 11
    assert Region.objects.filter(level="county").count() == 90
    assert regions["330102"].name == "上城区"
    assert regions["330102"].parent_id == "330100"


def test_path_names_read_from_the_province_down(regions):
    assert (
        region_path_names(regions["330102001001"])
        == "浙江省 / 杭州市 / 上城区 / 清风街道 / 柳岸社区"
    )


def test_ancestors_take_one_query(regions):
    with CaptureQueriesContext(connection) as queries:
        ancestors = region_ancestors(regions["330102001001"])
    assert [r.code for r in ancestors] == ["330000", "330100", "330102", "330102001"]
    assert len(queries) == 1


def test_children_and_descendants(regions):
    assert [r.code for r in region_children(regions["330102"])] == [
        "330102001",
        "330102002",
        "330102100",
    ]
    assert region_descendants(regions["330102"]).count() == 3 + 5
    assert region_descendants(regions["330100"], level="village").count() == 9
    assert not region_descendants(regions["330102001001"]).exists()


def test_children_with_counts_count_every_lower_level(regions):
    by_code = {c.region.code: c.counts for c in region_children_with_counts(regions["330100"])}
    assert by_code["330102"] == {"township": 3, "village": 5}
    assert by_code["330106"] == {"township": 2, "village": 4}
    assert by_code["330105"] == {}
    province = {c.region.code: c.counts for c in region_children_with_counts(regions["330000"])}
    assert province["330100"] == {"county": 13, "township": 5, "village": 9}


def test_a_subtree_query_is_a_prefix_match_on_the_indexed_code(regions):
    sql = str(Region.objects.within(regions["330102"]).query)
    assert "LIKE" in sql.upper() and "330102%" in sql
