import pytest

from config.jurisdiction_file import JurisdictionError, load_jurisdiction, parse_jurisdiction
from config.settings import DEFAULT_JURISDICTION
from domain.routing import NoRoute, route

pytestmark = pytest.mark.unit

MINIMAL = """
code: test
name: Test
timezone: Asia/Jakarta
case_prefix: TST
regencies:
  - code: "17.71"
    name: Kota
    districts: [{code: "17.71.01", name: Satu}]
  - code: "17.01"
    name: Kab
    districts: [{code: "17.01.01", name: Dua}]
agencies:
  - {code: PROV, name: Provinsi}
  - {code: KOTA, name: Kota, regency: "17.71"}
categories:
  - {code: jalan, name: Jalan, name_en: Roads}
routing:
  - {category: jalan, regency: "*", agency: PROV}
  - {category: jalan, regency: "17.71", agency: KOTA}
"""


def test_bengkulu_ships_valid_with_its_ten_regencies():
    j = load_jurisdiction(DEFAULT_JURISDICTION)
    assert j.timezone == "Asia/Jakarta"
    assert [r.code for r in j.regencies] == [
        "17.01", "17.02", "17.03", "17.04", "17.05", "17.06", "17.07", "17.08", "17.09", "17.71"]
    assert sum(len(r.districts) for r in j.regencies) == 129
    assert len(j.regency("17.71").districts) == 9


def test_every_bengkulu_category_routes_in_every_regency():
    j = load_jurisdiction(DEFAULT_JURISDICTION)
    for c in j.categories:
        for r in j.regencies:
            assert j.agency(route(j, c.code, r.code)) is not None


def test_specific_rule_wins_over_wildcard():
    j = parse_jurisdiction(MINIMAL)
    assert route(j, "jalan", "17.71") == "KOTA"
    assert route(j, "jalan", "17.01") == "PROV"
    with pytest.raises(NoRoute):
        route(j, "unknown", "17.01")


@pytest.mark.parametrize(
    "change, field",
    [
        (("agency: KOTA}", "agency: NOPE}"), "routing[1].agency"),
        (("category: jalan, regency: \"17.71\"", "category: jalan, regency: \"99.99\""), "routing[1].regency"),
        (("timezone: Asia/Jakarta", "timezone: Mars/Olympus"), "timezone"),
        (("case_prefix: TST", "case_prefix: tst"), "case_prefix"),
        (("{code: \"17.01.01\", name: Dua}", "{code: \"17.71.02\", name: Dua}"), "districts[0].code"),
        (("  - {category: jalan, regency: \"*\", agency: PROV}\n", ""), "category 'jalan' has no rule for"),
    ],
)
def test_bad_file_names_the_field(change, field):
    old, new = change
    assert old in MINIMAL
    with pytest.raises(JurisdictionError) as err:
        parse_jurisdiction(MINIMAL.replace(old, new), "test.yaml")
    assert field in str(err.value)
    assert "test.yaml" in str(err.value)


def test_unknown_key_is_refused_not_ignored():
    with pytest.raises(JurisdictionError, match="unexpected|Extra inputs"):
        parse_jurisdiction(MINIMAL + "colour: blue\n")


def test_not_yaml():
    with pytest.raises(JurisdictionError, match="not valid YAML"):
        parse_jurisdiction("code: [unclosed", "x.yaml")


def test_reply_templates_fall_back_to_the_default_and_fill_in_the_case():
    j = load_jurisdiction(DEFAULT_JURISDICTION)
    text = j.reply_template("resolve", "jalan-jembatan", "BKL-AAAAA-BBBBB", "PUPR-KOTA")
    assert "BKL-AAAAA-BBBBB" in text and "Dinas Pekerjaan Umum dan Penataan Ruang Kota Bengkulu" in text
    assert "{" not in text
    fallback = j.reply_template("request_info", "bencana", "BKL-AAAAA-BBBBB", "BPBD")
    assert fallback.startswith("Untuk menindaklanjuti pengaduan BKL-AAAAA-BBBBB")
    assert parse_jurisdiction(MINIMAL).reply_template("reply", "jalan", "TST-1", "KOTA") == ""


@pytest.mark.parametrize("templates, field", [
    ("reply_templates:\n  parkir: {reply: Halo}\n", "reply_templates: unknown category 'parkir'"),
    ("reply_templates:\n  jalan: {reply: 'Halo {nama}'}\n", "reply_templates.jalan.reply"),
    ("reply_templates:\n  default: {greet: Halo}\n", "reply_templates.default.greet"),
])
def test_bad_reply_templates_name_the_field(templates, field):
    with pytest.raises(JurisdictionError) as err:
        parse_jurisdiction(MINIMAL + templates, "test.yaml")
    assert field in str(err.value)
