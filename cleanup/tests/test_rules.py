"""Each rule with accounts that trigger it and near-misses that do not."""

import re

import pytest
from django.utils import translation

from registry.models import Account, Staff
from registry.tests.factories import AccountFactory, DepartmentFactory, StaffFactory

from .. import services as cleanup_services
from ..models import Finding, MemberMatch, Roster, RosterMember, Severity
from ..notice import NOTICE_RULES
from ..rules import BY_CODE, RULES, name_key, number_key
from .factories import closed, days_ago, fine_account, hits, today

# The notice's rules as published (NOTICE.md), in the simplified characters the citations quote.
NOTICE_TEXT = """
一、1.不得以财政厅名义建设相关自媒体。
2.以江西财经职业学院名义建设的新媒体，必须经过审批。清理因阶段性工作临时组建、且相关任务已完成的（如各类会议、培训、文体教育活动等），或因长期不使用、已不具备相关职能的“僵尸工作群”。
3.以学院所属二级学院或部门名义建设的新媒体，必须登记备案。重复建设以及无特殊工作需要的各类新媒体，一律予以整合、注销、下架。
三、按照“谁建谁管”的原则，各二级学院、各部门应坚持正确导向，弘扬社会主义核心价值观，培育积极健康的网络文化，主动建立健全QQ群、微信群、微信公众号等新媒体的管理制度，加强对所属部门QQ群、微信群、微信公众号等新媒体内容的审核与日常管理等工作。
严格区分工作群和聊天群。工作群实行实名准入和请出制度，群成员必须为本部门人员，对已离开的人员要及时移请出群。
"""

C, D, P = Account.Category, Account.Disposition, Account.Platform
pytestmark = pytest.mark.django_db


def test_every_rule_cites_the_notice_in_its_words_and_reads_in_chinese():
    for rule in RULES:
        notice = NOTICE_RULES[rule.notice_rule]
        for words in notice.words.split("……"):
            assert words in NOTICE_TEXT, notice.code
        assert notice.citation.startswith("依据通知"), notice.citation
        text = re.sub(r"%\(\w+\)[sd]", "", str(rule.explanation))  # zh-hans, the default
        # A department head reads the rule's words, not its code (kept for reviewers' filters).
        assert not re.search(r"R[1-6]", text), text
        assert len(re.findall(r"[\u4e00-\u9fff]", text)) > len(re.findall(r"[A-Za-z]", text))
        assert rule.severity in Severity.values
    with translation.override("en"):
        assert "财政厅" in BY_CODE["forbidden_name"].explain({"pattern": "财政厅"})


def test_a_fine_account_breaks_no_rule(department):
    account = fine_account(department)
    for rule in RULES:
        assert account.pk not in rule.check(_context()), rule.code


def _context():
    from ..rules import Context
    from ..services import live_accounts

    return Context(accounts=live_accounts(), today=today())


# R1


def test_forbidden_name(department):
    bad = fine_account(department, name="省财政厅政策宣传群")
    near = fine_account(department, name="财务处政策宣传群")
    proposed = fine_account(
        department, name="财政厅旧群", disposition=D.DISSOLVE, disposition_reason="违规"
    )
    found = hits("forbidden_name")
    assert set(found) == {bad.pk}
    assert found[bad.pk].suggestion == D.DISSOLVE
    assert BY_CODE["forbidden_name"].severity == Severity.BLOCKING
    assert near.pk not in found and proposed.pk not in found


# R3


def test_temporary_group_whose_task_ended(department):
    ended = fine_account(department, category=C.TEMPORARY_GROUP, task_end_on=days_ago(1))
    today_ends = fine_account(department, category=C.TEMPORARY_GROUP, task_end_on=today())
    found = hits("task_ended")
    assert set(found) == {ended.pk}
    assert found[ended.pk].suggestion == D.DISSOLVE
    assert today_ends.pk not in found


def test_public_account_without_a_post_for_two_weeks(department):
    stale = fine_account(
        department,
        platform=P.WECHAT_OFFICIAL,
        account_type="subscription",
        category=C.PUBLISHING,
        last_active_on=days_ago(15),
    )
    fresh = fine_account(
        department, platform=P.WEIBO, category=C.PUBLISHING, last_active_on=days_ago(14)
    )
    group = fine_account(department, last_active_on=days_ago(15))
    assert set(hits("public_inactive")) == {stale.pk}
    assert fresh.pk and group.pk


def test_public_inactive_days_are_a_setting(settings, department):
    settings.NEWMEDIA_CLEANUP_PUBLIC_INACTIVE_DAYS = 30
    fine_account(department, platform=P.WEIBO, category=C.PUBLISHING, last_active_on=days_ago(15))
    assert hits("public_inactive") == {}


def test_zombie_group_after_the_threshold_and_before_a_year(department):
    zombie = fine_account(department, last_active_on=days_ago(91))
    fine_account(department, last_active_on=days_ago(90))
    year = fine_account(department, last_active_on=days_ago(366))
    found = hits("zombie_group")
    assert set(found) == {zombie.pk}
    assert found[zombie.pk].params == {"last_active_on": days_ago(91).isoformat(), "days": 90}
    assert set(hits("unused_group")) == {year.pk}
    assert hits("unused_group")[year.pk].suggestion == D.DISSOLVE


def test_zombie_threshold_is_a_setting(settings, department):
    settings.NEWMEDIA_CLEANUP_ZOMBIE_DAYS = 30
    zombie = fine_account(department, last_active_on=days_ago(31))
    assert set(hits("zombie_group")) == {zombie.pk}


def test_no_last_active_date_on_a_work_group(department):
    work = fine_account(department, last_active_on=None)
    fine_account(department, category=C.CHAT_GROUP, last_active_on=None)
    assert set(hits("no_last_active")) == {work.pk}


# R4


def test_names_that_differ_only_in_a_year_are_duplicates(department):
    small = fine_account(department, name="2023级新生工作群", member_count=10)
    large = fine_account(department, name="2024级 新生工作群", member_count=90)
    found = hits("duplicate_name")
    assert set(found) == {small.pk}
    assert found[small.pk].suggestion == D.MERGE
    assert found[small.pk].merge_into_id == large.pk
    assert found[small.pk].params["survivor"] == large.name


def test_near_same_names_ignore_emoji_width_and_punctuation():
    assert name_key("教职工群🎉") == name_key("教职工群")
    assert name_key("ＡＢＣ教研室（2025年）") == name_key("abc教研室")
    assert name_key("新生群") != name_key("老生群")


def test_the_oldest_survives_between_equals(department):
    old = fine_account(department, name="教职工群", member_count=20, created_on=days_ago(900))
    new = fine_account(department, name="教职工群！", member_count=20, created_on=days_ago(10))
    assert hits("duplicate_name")[new.pk].merge_into_id == old.pk


def test_same_names_on_different_platforms_or_departments_are_not_duplicates(department):
    fine_account(department, name="教职工群", platform=P.QQ_GROUP)
    fine_account(department, name="教职工群", platform=P.DINGTALK_GROUP)
    fine_account(DepartmentFactory(), name="教职工群", platform=P.QQ_GROUP)
    assert hits("duplicate_name") == {}


def test_a_duplicate_already_proposed_for_merging_is_answered(department):
    keep = fine_account(department, name="教职工群")
    fine_account(
        department,
        name="2020教职工群",
        disposition=D.MERGE,
        merge_into=keep,
        disposition_reason="重复",
    )
    assert hits("duplicate_name") == {}


def test_same_purpose_on_one_platform(department):
    a = fine_account(department, name="甲群", purpose="布置日常工作", member_count=5)
    fine_account(department, name="乙群", purpose="布置日常工作。", member_count=50)
    fine_account(department, name="丙群", purpose="迎新工作")
    assert set(hits("duplicate_purpose")) == {a.pk}


def test_more_than_one_public_account_per_platform(department):
    kw = {"platform": P.WECHAT_OFFICIAL, "account_type": "subscription", "category": C.PUBLISHING}
    main = fine_account(department, name="学院公众号", member_count=5000, **kw)
    extra = fine_account(department, name="学院团委号", member_count=300, **kw)
    fine_account(department, name="学院微博", platform=P.WEIBO, category=C.PUBLISHING)
    found = hits("public_per_platform")
    assert set(found) == {extra.pk}
    assert found[extra.pk].merge_into_id == main.pk


def test_the_schools_own_account_is_a_unit_of_its_own(department):
    kw = {"platform": P.WECHAT_OFFICIAL, "account_type": "service", "category": C.PUBLISHING}
    fine_account(department, name="学校公众号", naming_level="school", **kw)
    fine_account(department, name="宣传部公众号", **kw)
    assert hits("public_per_platform") == {}


def test_official_work_groups_over_the_cap(department):
    groups = [fine_account(department, name=f"第{n}工作群", member_count=100 - n) for n in range(3)]
    fine_account(department, name="项目工作群", naming_level="work")
    found = hits("work_group_cap")
    assert set(found) == {groups[2].pk}
    assert found[groups[2].pk].params == {"survivor": groups[0].name, "count": 3, "cap": 2}


def test_the_cap_is_a_setting(settings, department):
    settings.NEWMEDIA_CLEANUP_WORK_GROUP_CAP = 3
    for n in range(3):
        fine_account(department, name=f"第{n}工作群")
    assert hits("work_group_cap") == {}


def test_a_number_of_a_closed_account_coming_back(department):
    gone = closed(
        department=department,
        platform=P.WECHAT_OFFICIAL,
        account_type="service",
        category=C.PUBLISHING,
        number="gh_abc123",
    )
    back = fine_account(
        department,
        platform=P.WECHAT_OFFICIAL,
        account_type="service",
        category=C.PUBLISHING,
        number="GH_ABC123 ",
    )
    found = hits("closed_number_returns")
    assert set(found) == {back.pk}
    assert found[back.pk].params == {"number": "gh_abc123", "closed": gone.name}
    assert BY_CODE["closed_number_returns"].severity == Severity.BLOCKING


def test_a_merged_account_or_another_platform_is_not_a_return(department):
    closed(department=department, number="612345678", kind="take_down")
    closed(department=department, platform=P.QQ_GROUP, number="699999999")
    fine_account(department, platform=P.DINGTALK_GROUP, number="699999999")
    assert hits("closed_number_returns") == {}


def test_number_key_ignores_how_it_was_written():
    assert number_key("https://weibo.com/u/123/") == number_key("weibo.com/u/123")
    assert number_key("６１２ ３４５") == number_key("612345")


# R5


def test_a_chat_group_filed_as_a_work_group(department):
    named = fine_account(department, name="教职工闲聊群")
    fine_account(department, name="教职工闲聊群2", category=C.CHAT_GROUP)
    found = hits("chat_as_work")
    assert set(found) == {named.pk}
    assert "闲聊" in BY_CODE["chat_as_work"].explain(found[named.pk].params)


def _roster(account, marks, *, removed=0):
    roster = Roster.objects.create(account=account, member_count=len(marks))
    staff = StaffFactory(department=account.department)
    left = StaffFactory(
        department=account.department, status=Staff.Status.LEFT, left_on=days_ago(30)
    )
    for row, mark in enumerate(marks, start=1):
        linked = {MemberMatch.DEPARTED: left, MemberMatch.OWN_DEPARTMENT: staff}.get(mark)
        RosterMember.objects.create(
            roster=roster,
            row=row,
            nickname=f"成员{row}",
            match=mark,
            staff=linked,
            removal_done_at=None if row > removed else today_time(),
        )
    return roster


def today_time():
    from django.utils import timezone

    return timezone.now()


def test_a_work_group_mostly_of_non_staff_looks_like_a_chat_group(department):
    account = fine_account(department)
    _roster(account, [MemberMatch.NOT_STAFF] * 3 + [MemberMatch.OWN_DEPARTMENT] * 2)
    half = fine_account(department, name="另一个群")
    _roster(half, [MemberMatch.NOT_STAFF] * 2 + [MemberMatch.OWN_DEPARTMENT] * 2)
    found = hits("chat_as_work")
    assert set(found) == {account.pk}
    assert found[account.pk].params == {"not_staff": 3, "members": 5}


def test_a_work_group_without_real_name_admission(department):
    work = fine_account(department, real_name_admission=False)
    fine_account(department, category=C.CHAT_GROUP, real_name_admission=False)
    assert set(hits("no_real_name")) == {work.pk}


def test_departed_and_non_staff_members_of_a_work_group(department):
    account = fine_account(department)
    _roster(
        account,
        [
            MemberMatch.DEPARTED,
            MemberMatch.NOT_STAFF,
            MemberMatch.OWN_DEPARTMENT,
            MemberMatch.AMBIGUOUS,
        ],
    )
    chat = fine_account(department, name="聊天", category=C.CHAT_GROUP)
    _roster(chat, [MemberMatch.DEPARTED])
    assert hits("members_departed")[account.pk].params == {"count": 1, "members": 4}
    assert set(hits("members_not_staff")) == {account.pk}
    assert chat.pk not in hits("members_departed")


def test_removed_members_and_old_rosters_do_not_count(department):
    account = fine_account(department)
    old = _roster(account, [MemberMatch.NOT_STAFF])
    Roster.objects.filter(pk=old.pk).update(is_current=False, replaced_at=today_time())
    _roster(account, [MemberMatch.DEPARTED, MemberMatch.OWN_DEPARTMENT], removed=1)
    assert hits("members_departed") == {} and hits("members_not_staff") == {}


# R6


def test_no_owner_or_no_content_reviewer(department):
    a = fine_account(department, security_contact_name="")
    b = AccountFactory(department=department, owner_name="", last_active_on=days_ago(1))
    assert set(hits("owner_missing")) == {a.pk, b.pk}


def test_an_owner_who_has_left_blocks(department):
    gone = StaffFactory(
        department=department, name="王芳", status=Staff.Status.LEFT, left_on=days_ago(100)
    )
    linked = AccountFactory(
        department=department, owner=gone, owner_name="王芳", last_active_on=days_ago(1)
    )
    by_name = AccountFactory(department=department, owner_name="王芳", last_active_on=days_ago(1))
    StaffFactory(department=department, name="赵强")
    StaffFactory(
        department=department, name="赵强", status=Staff.Status.RETIRED, left_on=days_ago(5)
    )
    in_post = AccountFactory(department=department, owner_name="赵强", last_active_on=days_ago(1))
    found = hits("owner_departed")
    assert set(found) == {linked.pk, by_name.pk}
    assert in_post.pk not in found
    assert BY_CODE["owner_departed"].severity == Severity.BLOCKING


def test_an_owner_on_no_staff_roster(department):
    student = AccountFactory(department=department, owner_name="学生甲", last_active_on=days_ago(1))
    StaffFactory(department=DepartmentFactory(), name="外院老师")
    elsewhere = AccountFactory(
        department=department, owner_name="外院老师", last_active_on=days_ago(1)
    )
    found = hits("owner_not_staff")
    assert student.pk in found and elsewhere.pk not in found


def test_content_rules_not_acknowledged(department):
    account = fine_account(department, rules_acknowledged=False)
    assert set(hits("rules_not_acknowledged")) == {account.pk}


def test_accounts_being_closed_are_not_checked(department):
    account = closed(state="closing", kind="dissolve", department=department, name="财政厅旧群")
    assert account.pk not in hits("forbidden_name")


def test_an_administrator_who_is_not_staff_in_post(department):
    StaffFactory(department=department, name="在职老师")
    StaffFactory(
        department=department, name="离职老师", status=Staff.Status.LEFT, left_on=days_ago(9)
    )
    student = fine_account(department, administrator_name="学生乙")
    gone = fine_account(department, administrator_name="离职老师")
    staff = fine_account(department, administrator_name="在职老师")
    nobody = fine_account(department, administrator_name="")
    found = hits("administrator_not_staff")
    assert set(found) == {student.pk, gone.pk}
    assert found[student.pk].params == {"administrator": "学生乙"}
    assert staff.pk not in found and nobody.pk not in found


def test_two_other_platform_accounts_with_different_names_are_not_duplicates(department):
    def public(name, platform_name):
        return fine_account(
            department,
            name=name,
            platform=Account.Platform.OTHER,
            platform_name=platform_name,
            category=Account.Category.PUBLISHING,
        )

    public("会计学院号", "校园网")
    public("会计学院号", "今日校园")
    assert hits("public_per_platform") == {} and hits("duplicate_name") == {}
    public("会计学院号", "校园网")
    assert len(hits("duplicate_name")) == 1  # the third, or the first it duplicates


def test_the_cap_explanation_says_the_count_and_the_cap_not_over_it(department):
    """ "有 3 个，超过限额 2 个" read as if the cap were exceeded by 2: it says the cap."""
    groups = [fine_account(department, name=f"第{n}工作群", member_count=100 - n) for n in range(3)]
    cleanup_services.findings_evaluate()
    finding = Finding.objects.get(account_id=groups[2].pk, rule="work_group_cap")
    with translation.override("zh-hans"):
        assert "有 3 个，限额 2 个" in finding.explanation
