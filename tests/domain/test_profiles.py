"""Every shipped profile loads; broken profiles and agency entries fail with their file and place."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cases.agencies import AGENCIES_FILE, AgencyKind, load_registry
from cases.calendar import Unit
from cases.errors import ConfigError
from cases.profile import MECHANISMS_DIR
from cases.profiles import load_profile, load_profiles, profile_data, profile_from_data
from cases.vocabulary import Branch, Classification, Event, Party, Role, Stage

EXPECTED = {
    "env-police",
    "urban-police",
    "animal-health-police",
    "township-county",
    "national-2017",
    "demo-fast",
}


def test_every_profile_loads() -> None:
    profiles = load_profiles()
    assert set(profiles) == EXPECTED
    for profile in profiles.values():
        assert profile.clocks, profile.name
        for clock in profile.clocks.values():
            assert clock.source, (profile.name, clock.name)
            assert clock.escalation, (profile.name, clock.name)


def test_env_police_follows_n2017_on_o310() -> None:
    """The environmental mechanism: the receipt is the acceptance (N2017 Art. 7), the filing decision
    runs 3 days from it and may be extended (Art. 9), supplements do not stop it (Art. 8), and the
    procuratorate is copied (Art. 6, 9)."""
    p = load_profiles()["env-police"]
    assert p.acceptance_on_receipt
    assert "acceptance" not in p.clocks
    assert not p.supplements_block_acceptance
    assert p.copy_procuratorate
    assert p.clocks["approval"].owner_role is Role.APPROVER
    assert p.clocks["approval"].period.length == 3
    assert "O310 Art. 5" in p.clocks["approval"].source
    assert p.clocks["sending"].period.length == 24
    assert p.clocks["sending"].period.unit is Unit.HOURS
    filing = p.clocks["filing_decision"]
    assert (filing.period.length, filing.period.unit) == (3, Unit.DAYS)
    assert filing.starts_on == {Event.ACCEPTED}
    assert not filing.pauses_on
    assert not filing.restarts_on
    assert "N2017 Art. 9" in filing.source
    assert Event.EXTENSION_APPROVED in filing.extended_on
    assert {e: x.period.length for e, x in p.extensions.items()} == {
        "clues_check": 7,
        "major_complex": 30,
    }
    assert p.clocks["supplements"].statutory
    assert p.windows["supplement_request"].period.length == 24
    assert p.clocks["handover"].starts_on == {Event.FILING_NOTICE_RECEIVED}
    assert (p.clocks["reconsideration"].period.unit, p.windows["reconsideration"].period.unit) == (
        Unit.WORKING_DAYS,
        Unit.WORKING_DAYS,
    )
    assert p.clocks["referral_recommendation"].statutory
    assert p.clocks["referral_recommendation"].stops_on == {Event.REFERRAL_SENT}
    assert [r.to for r in filing.escalation] == [
        Party.JOINT_OFFICE,
        Party.PROCURATORATE,
        Party.LEADERSHIP_GROUP,
    ]
    assert p.referral_source.startswith("N2017 Art. 6")
    assert {"site_sketch", "photo_video_list"} <= set(p.referral_required)
    assert p.referral_if_penalty == ("penalty_decision",)
    assert "site_inspection_report" in p.evidence_checklists[Classification.CRIME]


def test_national_2017_is_env_police_read_by_the_national_texts() -> None:
    p = load_profiles()["national-2017"]
    env = load_profiles()["env-police"]
    assert p.acceptance_on_receipt
    assert p.copy_procuratorate
    assert set(p.clocks) == set(env.clocks)
    assert p.triage.arithmetic.value == "excess"
    assert "MPS2016" not in str(p)


def test_o310_mechanisms_take_nothing_from_n2017() -> None:
    """Urban management, animal health and the township mechanism rest on O310 and their seed text:
    no N2017 period, package or copy reaches them (N2017 Art. 2)."""
    profiles = load_profiles()
    for name in ("urban-police", "animal-health-police", "township-county"):
        p = profiles[name]
        assert not p.copy_procuratorate, name
        assert not p.has(Branch.SUPPLEMENTS), name
        assert not p.has(Branch.EXTENSION), name
        assert "supplements" not in p.clocks, name
        assert p.triage.crime is None, name
        for clock in p.clocks.values():
            assert "N2017" not in clock.source, (name, clock.name)
        assert p.windows["reconsideration"].period.unit is Unit.DAYS
        assert p.clocks["reconsideration"].period.unit is Unit.DAYS


def test_d6_1_2_the_county_departments_answer_the_township_within_three_working_days() -> None:
    """The 3 working days are the county department's, for the township's written request; a test
    or an appraisal by an institution has no period in D6 (a supervision value, as in O310)."""
    p = load_profiles()["township-county"]
    answer = p.clocks["written_consultation"]
    assert (answer.owner, answer.period.length, answer.period.unit, answer.statutory) == (
        Party.CONSULTED,
        3,
        Unit.WORKING_DAYS,
        True,
    )
    assert "D6 §一(二)" in answer.source
    assert p.written_consultation_to == ("county_department",)
    for name in ("test", "appraisal"):
        assert not p.clocks[name].statutory
        assert "D6" not in p.clocks[name].source
    transfer = p.clocks["jurisdiction_transfer"]
    assert transfer.period.length == 5
    assert transfer.period.unit is Unit.WORKING_DAYS
    assert transfer.urgent is not None
    assert transfer.urgent.unit is Unit.HOURS
    assert set(p.referral_required) == {
        "referral_letter",
        "source_materials",
        "basic_facts_evidence",
    }


def test_urban_police_hands_over_within_three_days() -> None:
    p = load_profiles()["urban-police"]
    assert "approval" not in p.clocks
    assert "sending" not in p.clocks
    window = p.clocks["referral_window"]
    assert window.period.length == 3
    assert "D5 §三.3" in window.source
    assert p.referring_kinds == ("urban_management",)


def test_demo_fast_runs_in_seconds_and_minutes() -> None:
    p = load_profiles()["demo-fast"]
    assert p.demo
    for clock in p.clocks.values():
        assert clock.period.unit.is_demo, clock.name
        assert not clock.statutory
    assert set(p.clocks) == set(load_profiles()["env-police"].clocks)


def copy_profiles(tmp_path: Path) -> Path:
    target = tmp_path / "mechanisms"
    shutil.copytree(MECHANISMS_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


ACCEPTANCE = '[clocks.acceptance]\ntitle_zh = "公安受理"'


URBAN, BASE, ENV = "urban-police.toml", "o310.toml", "env-police.toml"


@pytest.mark.parametrize(
    ("file", "old", "new", "where", "problem"),
    [
        (
            URBAN,
            'length = 3\nunit = "days"\nreminders = ["1d"]\nescalation = [\n  { to = "joint_office", after = "0s" },\n  { to = "procuratorate"',
            'length = 3\nunit = "fortnights"\nreminders = ["1d"]\nescalation = [\n  { to = "joint_office", after = "0s" },\n  { to = "procuratorate"',
            "clock 'acceptance'",
            "unknown unit 'fortnights'",
        ),
        (
            URBAN,
            'length = 3\nunit = "days"\nreminders = ["1d"]\nescalation = [\n  { to = "joint_office", after = "0s" },\n  { to = "procuratorate"',
            'length = -2\nunit = "days"\nreminders = ["1d"]\nescalation = [\n  { to = "joint_office", after = "0s" },\n  { to = "procuratorate"',
            "clock 'acceptance'",
            "'length' must be a positive whole number, got -2",
        ),
        (URBAN, ACCEPTANCE, ACCEPTANCE + "\nlength = 4", "", "not valid TOML"),
        (
            URBAN,
            'starts_on = ["referral_delivered"]',
            'starts_on = ["package_teleported"]',
            "clock 'acceptance'",
            "unknown event 'package_teleported'",
        ),
        (
            URBAN,
            '{ to = "procuratorate", after = "1d" },\n  { to = "leadership_group", after = "2d" },\n]\nstatutory = true\nsource = "D5',
            '{ to = "the_press", after = "1d" },\n  { to = "leadership_group", after = "2d" },\n]\nstatutory = true\nsource = "D5',
            "clock 'acceptance' escalation rung 2",
            "cannot escalate to 'the_press'",
        ),
        (
            URBAN,
            '{ to = "procuratorate", after = "1d" },\n  { to = "leadership_group", after = "2d" },\n]\nstatutory = true\nsource = "D5',
            '{ to = "procuratorate", after = "3d" },\n  { to = "leadership_group", after = "2d" },\n]\nstatutory = true\nsource = "D5',
            "clock 'acceptance' escalation rung 3",
            "must come in order",
        ),
        (
            URBAN,
            'unit = "days"\nreminders = ["1d"]\nescalation = [\n  { to = "joint_office", after = "0s" },\n  { to = "procuratorate"',
            'unit = "seconds"\nreminders = ["1d"]\nescalation = [\n  { to = "joint_office", after = "0s" },\n  { to = "procuratorate"',
            "clock 'acceptance'",
            "for demonstration mechanisms only",
        ),
        (
            URBAN,
            'source = "D5 §三.3: 派出所应在3日内受理',
            'sauce = "D5 §三.3: 派出所应在3日内受理',
            "clock 'acceptance'",
            "unknown keys ['sauce']",
        ),
        (
            BASE,
            'reminders = ["4h"]\nescalation = [{ to = "joint_office", after = "0s" }, { to = "leadership_group", after = "12h" }]',
            'reminders = ["soon"]\nescalation = [{ to = "joint_office", after = "0s" }, { to = "leadership_group", after = "12h" }]',
            "clock 'sending' reminders",
            "'soon' is not a duration",
        ),
        (
            BASE,
            'owner = "referring"\nowner_role = "approver"\nstarts_on = ["referral_requested"]',
            'owner = "the_mayor"\nowner_role = "approver"\nstarts_on = ["referral_requested"]',
            "clock 'approval'",
            "unknown owner 'the_mayor'",
        ),
        (
            BASE,
            'stops_on = ["handed_over", "filing_withdrawn"]',
            'stops_on = ["handed_over", "filing_notice_received"]',
            "clock 'handover'",
            "both start and stop it",
        ),
        (
            ENV,
            '"test_reports",\n]',
            '"handwaving",\n]',
            "referral_checklist",
            "unknown item kind 'handwaving'",
        ),
        (
            BASE,
            '"not_filed", "reconsideration", "supervision",',
            '"not_filed", "supervision",',
            "stages",
            "go together",
        ),
        (
            ENV,
            'arithmetic = "ratio"',
            'arithmetic = "vibes"',
            "triage",
            "must be 'ratio' or 'excess'",
        ),
        (
            ENV,
            'three_times = ["Pb",',
            'three_times = ["Au",',
            "triage.j2023",
            "'three_times': unknown elements ['Au']",
        ),
        (
            ENV,
            "hazardous_waste_tonnes = 3",
            "hazardous_waste_tonnes = 0",
            "triage.j2023",
            "must be a positive number",
        ),
    ],
)
def test_a_broken_profile_names_its_file_clock_and_problem(
    tmp_path: Path, file: str, old: str, new: str, where: str, problem: str
) -> None:
    directory = copy_profiles(tmp_path)
    broken = directory / file
    edit(broken, old, new)
    with pytest.raises(ConfigError) as raised:
        load_profiles(directory)
    message = str(raised.value)
    assert str(broken) in message
    assert where in message
    assert problem in message


def test_a_broken_child_profile_is_named_not_its_base(tmp_path: Path) -> None:
    directory = copy_profiles(tmp_path)
    child = directory / "demo-fast.toml"
    edit(child, "[clocks.filing_decision]\nlength = 90", "[clocks.filing_decision]\nlength = 0")
    with pytest.raises(ConfigError) as raised:
        load_profiles(directory)
    assert str(child) in str(raised.value)
    assert "clock 'filing_decision'" in str(raised.value)
    assert "positive whole number" in str(raised.value)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'extends = "env-police"',
            'extends = "no-such-mechanism"',
            "no profile 'no-such-mechanism'",
        ),
        ('extends = "env-police"', 'extends = "demo-fast"', "in a loop"),
        ('name = "demo-fast"', 'name = "demo-slow"', "must match the file name"),
        ("demo = true", "demo = false", "for demonstration mechanisms only"),
    ],
)
def test_a_broken_extension_fails_with_its_file(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    directory = copy_profiles(tmp_path)
    child = directory / "demo-fast.toml"
    edit(child, old, new)
    with pytest.raises(ConfigError) as raised:
        load_profile(child)
    assert str(child) in str(raised.value)
    assert problem in str(raised.value)


def test_removing_a_clock_the_base_lacks_fails(tmp_path: Path) -> None:
    directory = copy_profiles(tmp_path)
    child = directory / "urban-police.toml"
    edit(
        child,
        'removed_clocks = ["approval", "sending"]',
        'removed_clocks = ["approval", "courier"]',
    )
    with pytest.raises(ConfigError, match=r"clock 'courier'.*no such clock"):
        load_profile(child)


def test_the_default_mechanism_must_be_present(tmp_path: Path) -> None:
    directory = tmp_path / "only"
    directory.mkdir()
    shutil.copy(MECHANISMS_DIR / "env-police.toml", directory / "env-police.toml")
    shutil.copy(MECHANISMS_DIR / "o310.toml", directory / "o310.toml")
    assert set(load_profiles(directory)) == {"env-police"}  # a base is offered to no case
    (directory / "env-police.toml").unlink()
    (directory / "o310.toml").unlink()
    with pytest.raises(ConfigError, match="no mechanism profiles"):
        load_profiles(directory)


# --- The agency registry ----------------------------------------------------------------------------


def test_the_registry_loads_with_every_kind_the_rules_ask_for() -> None:
    registry = load_registry()
    demo = {a.kind for a in registry if a.region == "demo-county"}
    assert {
        AgencyKind.ENVIRONMENTAL_PROTECTION,
        AgencyKind.POLICE,
        AgencyKind.PROCURATORATE,
        AgencyKind.JOINT_OFFICE,
        AgencyKind.LEADERSHIP_GROUP,
        AgencyKind.COUNTY_GOVERNMENT,
        AgencyKind.MONITORING_STATION,
        AgencyKind.APPRAISAL_INSTITUTION,
    } <= demo
    police = registry.first_in_region(AgencyKind.POLICE, "demo-county")
    assert police is not None
    assert police.code == "PSB-DEMO"


FIRST_AGENCY = 'code = "EPB-DEMO"\nname = "示范县生态环境分局"'


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'kind = "environmental_protection"',
            'kind = "ministry_of_magic"',
            "unknown kind 'ministry_of_magic'",
        ),
        (
            'region = "demo-county"\n\n[[agency]]\ncode = "PSB-DEMO"',
            'region = "atlantis"\n\n[[agency]]\ncode = "PSB-DEMO"',
            "region 'atlantis' is not declared",
        ),
        ('code = "PSB-DEMO"', 'code = "EPB-DEMO"', "duplicate agency code"),
        ('code = "PSB-DEMO"', 'code = "psb demo"', "code must be"),
        (FIRST_AGENCY, 'code = "EPB-DEMO"\nname = ""', "'name' is missing or empty"),
        (FIRST_AGENCY, FIRST_AGENCY + '\nphone = "110"', "unknown keys ['phone']"),
    ],
)
def test_a_broken_agency_entry_names_its_file_entry_and_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    broken = tmp_path / "agencies.toml"
    shutil.copy(AGENCIES_FILE, broken)
    edit(broken, old, new)
    with pytest.raises(ConfigError) as raised:
        load_registry(broken)
    message = str(raised.value)
    assert str(broken) in message
    assert "agency #" in message
    assert problem in message


def test_the_handover_cites_the_2020_article() -> None:
    """O310 as revised in 2020 puts the handover in Art. 12 (its Art. 10 is the agency's handling of
    a case the police did not file)."""
    for profile in load_profiles().values():
        source = profile.clocks["handover"].source
        assert "O310 Art. 12" in source, (profile.name, source)
        assert "O310 Art. 10" not in source, (profile.name, source)


def test_stalled_after_is_each_mechanisms_supervision_value_in_a_span() -> None:
    """A case with no clock running stalls its mechanism's span after its last step; a case with
    a clock running, or closed, does not (its clock's reminders watch it, or it is done)."""
    from datetime import UTC, datetime, timedelta

    from cases.profiles import default_profiles
    from cases.stalled import stalled_at
    from tests.domain.cases_at import case_at
    from tests.domain.test_figures import clock

    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    profiles = default_profiles()
    gathering = case_at(Stage.EVIDENCE)
    assert not gathering.open_clocks()
    assert stalled_at(gathering, profiles["env-police"], now) == now + timedelta(days=15)
    assert stalled_at(gathering, profiles["demo-fast"], now) == now + timedelta(minutes=3)
    assert stalled_at(gathering, None, now) is None
    timed = case_at(Stage.FILING_DECISION)
    timed.clocks.append(clock(1, "PSB-DEMO", due_hours=72, closed_hours=None))
    assert stalled_at(timed, profiles["env-police"], now) is None
    assert stalled_at(case_at(Stage.ARCHIVED), profiles["env-police"], now) is None
    for name, profile in profiles.items():
        assert profile.stalled_after is not None, name
        assert "supervision value" in profile.stalled_after.source or profile.demo, name


def test_stalled_after_in_working_days_is_refused(tmp_path: Path) -> None:
    directory = copy_profiles(tmp_path)
    child = directory / "demo-fast.toml"
    edit(
        child,
        '[stalled_after]\nlength = 3\nunit = "minutes"',
        '[stalled_after]\nlength = 3\nunit = "working_days"',
    )
    with pytest.raises(ConfigError, match=r"stalled_after.*not working days"):
        load_profile(child)


# --- Sources in Chinese -----------------------------------------------------------------------------

# What may stay in Latin letters in a Chinese source: the texts' codes (O310, N2017, P2014, D1-rules).
CITED = re.compile(r"\bD1-(?:rules|op)\b|\b[A-Z]\d{1,4}\b")
# A source's Chinese: the quotes of its text, or the words of it that its note names.
QUOTED = re.compile(r"[\u4e00-\u9fff《][^;()a-zA-Z]*[\u4e00-\u9fff》]")


def test_every_clock_cites_its_source_in_chinese_too() -> None:
    """The dashboard's Chinese pages show ``source_zh``: the quote as the source has it, the
    product's note translated (no English left but the texts' codes), articles as 第N条第M款."""
    for profile in load_profiles().values():
        for clock in profile.clocks.values():
            where = (profile.name, clock.name)
            assert not re.search(r"[A-Za-z]", CITED.sub("", clock.source_zh)), where
            assert "Art." not in clock.source_zh, where
            assert "¶" not in clock.source_zh, where
            for quote in QUOTED.findall(clock.source):
                assert quote in clock.source_zh, (*where, quote)
            for code in CITED.findall(clock.source):
                assert code in clock.source_zh, (*where, code)
            for article, paragraph in re.findall(r"Art\. (\d+)(?: ¶(\d))?", clock.source):
                cited = f"第{article}条" + (f"第{paragraph}款" if paragraph else "")
                assert cited in clock.source_zh, (*where, cited)


def test_a_child_keeps_its_bases_chinese_source_with_its_source() -> None:
    """demo-fast changes lengths only: its clocks cite env-police's sources, in both languages."""
    profiles = load_profiles()
    demo, env = profiles["demo-fast"], profiles["env-police"]
    for name, clock in demo.clocks.items():
        assert (clock.source, clock.source_zh) == (
            env.clocks[name].source,
            env.clocks[name].source_zh,
        ), name


@pytest.mark.parametrize(
    ("file", "clock", "line"),
    [
        (BASE, "approval", 'source_zh = "O310 第5条第2款: 正职负责人'),
        # A child's own source without its Chinese would stand beside the base's Chinese.
        (ENV, "test", 'source_zh = "D1-rules §三(一)2 要求监测'),
    ],
)
def test_a_clock_without_its_chinese_source_is_refused(
    tmp_path: Path, file: str, clock: str, line: str
) -> None:
    directory = copy_profiles(tmp_path)
    broken = directory / file
    text = broken.read_text(encoding="utf-8")
    found = [entry for entry in text.splitlines() if entry.startswith(line)]
    assert len(found) == 1, line
    broken.write_text(text.replace(found[0] + "\n", "", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_profiles(directory)
    message = str(raised.value)
    assert str(broken) in message
    assert f"clock '{clock}'" in message
    assert "'source_zh' is missing: a clock that sets its own 'source'" in message


def test_a_case_carrying_a_profile_from_before_chinese_sources_keeps_it() -> None:
    """A running case's profile may be from before ``source_zh``: it rebuilds (its histories replay),
    each source standing in for its Chinese; a profile file without it is refused (above)."""
    data = profile_data("env-police")  # a copy of its own
    for table in data["clocks"].values():
        del table["source_zh"]
    profile = profile_from_data(data)
    for clock in profile.clocks.values():
        assert clock.source_zh == clock.source, clock.name
