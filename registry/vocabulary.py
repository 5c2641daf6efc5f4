"""The headings of the forms offices already have (earlier campaigns' QQ, WeChat and public-account
sheets), as data: which field each heading fills, how specific it is, and the platform it implies.

Headings are compared folded (``sheets.header_key``: full-width forms, spaces and stars removed).
The form's own headers and their plain variants are the columns' ``aliases`` in
``registry.layouts``; a heading here overrides those. Add a heading here, and its test in
``registry/tests/test_vocabulary.py`` follows from the table.
"""

from dataclasses import dataclass

# Fields whose columns complete each other: where the first (most specific) column is blank, the
# next one's cell is used (手机号码 then 联系电话; 成员人数 for groups, 粉丝数 for accounts).
COMPLETING = frozenset({"number", "owner_phone", "member_count", "created_on", "last_active_on"})

# A second column for the owner is the administrator (群主 and 管理员 side by side).
SECOND_PERSON = {"owner_name": "administrator_name"}


@dataclass(frozen=True)
class Heading:
    """What a column under this heading fills.

    ``fields``: the candidate fields, the first whose parser accepts all of the column's values
    is taken; with ``sensed`` a column that fits none is ignored (listed in the dry run) instead
    of failing its rows: 类型 is the platform only when its values are platforms.
    ``rank``: the more specific heading wins when two fill one field (QQ群名称 over 名称).
    ``platform``: the platform a sheet with this heading is about.
    """

    fields: tuple[str, ...]
    rank: int = 2
    platform: str = ""
    sensed: bool = False


def _h(field: str, rank: int = 2, platform: str = "", **kwargs) -> Heading:
    return Heading((field,) if field else (), rank, platform, **kwargs)


HEADINGS: dict[str, Heading] = {
    # Name
    "微信群名称": _h("name", 3, "wechat_group"),
    "QQ群名称": _h("name", 3, "qq_group"),
    "群聊名称": _h("name", 3),
    "公众号名称": _h("name", 3, "wechat_official"),
    # Platform and account type
    "平台名称": _h("platform"),
    "新媒体类型": _h("platform"),
    "类型": Heading(("platform", "category"), 1, sensed=True),
    "服务类型": _h("account_type", sensed=True),
    # Number, ID or link
    "QQ群号": _h("number", 3, "qq_group"),
    "群号码": _h("number", 3),
    "原始ID": _h("number", 3, "wechat_official"),
    "公众号ID": _h("number", 3, "wechat_official"),
    "链接": _h("number", 1),
    # The owner, and the administrator beside them
    "群主": _h("owner_name", 3),
    "负责人": _h("owner_name", 3),
    "建立者": _h("owner_name", 3),
    "创建人": _h("owner_name", 3),
    "责任人": _h("owner_name"),
    "联系人": _h("owner_name", 1),
    "管理员": _h("administrator_name"),
    "管理者": _h("administrator_name"),
    "群管理员": _h("administrator_name", 3),
    "运维人员": _h("administrator_name"),
    # The owner's phone and post
    "群主电话": _h("owner_phone", 3),
    "群主手机号": _h("owner_phone", 3),
    "群主联系方式": _h("owner_phone", 3),
    "手机号码": _h("owner_phone", 3),
    "联系电话": _h("owner_phone"),
    "群主职务": _h("owner_post", 3),
    # Purpose, size, dates
    "建群目的": _h("purpose", 3),
    "微信群用途对象": _h("purpose", 3, "wechat_group"),
    "群人数": _h("member_count", 3),
    "群成员人数": _h("member_count", 3),
    "成员数量": _h("member_count", 3),
    "成员人数": _h("member_count", 3),
    "粉丝量": _h("member_count"),
    "粉丝数": _h("member_count"),
    "建群时间": _h("created_on", 3),
    "开设时间": _h("created_on", 3),
    "最后发言时间": _h("last_active_on", 3),
    "最近更新时间": _h("last_active_on", 3),
    "结束时间": _h("task_end_on"),
    # The department: the one that runs it before the one that supervises it
    "所在单位": _h("department", 3),
    "主办单位": _h("department", 3),
    "运营单位": _h("department", 3),
    "服务主体": _h("department"),
    "主管单位": _h("department", 1),
    # Category, real names, review, disposition
    "群类型": _h("category", sensed=True),
    "是否实名制": _h("real_name_admission"),
    "信息审核员": _h("security_contact_name", 3),
    "处置方式": _h("disposition", 3),
    "拟处置方式": _h("disposition", 3),
    "是否保留": _h("disposition", 1),  # 是 reads as 保留 (registry.office_forms)
    "是否知悉": _h("rules_acknowledged"),
    # Known, and not kept in the register
    "是否涉及意识形态内容": _h(""),
}

# Words of a sheet's name or title block that say which platform it lists, the most specific
# first (企业微信 before 微信, 微信公众号 before 微信群).
PLATFORM_WORDS: tuple[tuple[str, str], ...] = (
    ("企业微信", "wecom_group"),
    ("钉钉", "dingtalk_group"),
    ("公众号", "wechat_official"),
    ("视频号", "channels"),
    ("小程序", "mini_program"),
    ("微信群", "wechat_group"),
    ("微信工作群", "wechat_group"),
    ("qq", "qq_group"),
    ("微博", "weibo"),
    ("抖音", "douyin"),
    ("今日头条", "toutiao"),
    ("头条号", "toutiao"),
    ("快手", "kuaishou"),
    ("小红书", "xiaohongshu"),
    ("哔哩哔哩", "bilibili"),
    ("b站", "bilibili"),
)
