from pathlib import Path

from minzheng.policy.catalogue import render_catalogue
from minzheng.policy.engine import Engine

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy" / "catalogue.md"


def test_every_rule_has_a_label_and_a_reference():
    for name, rule in Engine().rules.items():
        assert rule.label.strip() and rule.reference.strip(), name


def test_the_catalogue_in_docs_lists_every_rule_and_parameter():
    engine = Engine()
    text = DOC.read_text(encoding="utf-8")
    missing = [n for n in [*engine.rules, *engine.parameters.parameters] if f"`{n}`" not in text]
    assert missing == []
    assert text == render_catalogue(engine), "run: minzheng catalogue > docs/policy/catalogue.md"
