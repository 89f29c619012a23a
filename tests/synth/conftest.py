import pytest

from minzheng.synth.lake import build_lake


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/synth/" in str(item.fspath):
            item.add_marker(pytest.mark.lake)


@pytest.fixture(scope="session")
def small_lake(tmp_path_factory):
    """A lake at scale 0.001 (about 65,000 people), built once per run."""
    out = tmp_path_factory.mktemp("lakes") / "small"
    build_lake(scale=0.001, seed=7, out=out, workers=2)
    return out
