import pytest

from minzheng.regions.models import Region
from minzheng.regions.services import regions_load_divisions, regions_load_file

pytestmark = pytest.mark.lake


def test_the_generated_regions_file_loads_and_loads_again_unchanged(db, small_lake):
    regions_load_divisions()
    path = small_lake / "regions" / "subcounty.csv"
    first = regions_load_file(path=path)
    assert first.by_level == {"township": 1360, "village": 20000}
    assert first.created == 21360
    again = regions_load_file(path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 21360)
    town = Region.objects.get(code="330102001")
    assert town.parent_id == "330102" and town.urban_rural == "urban" and town.lon is not None
