"""The notice's rules as a department head reads them: what each asks, in a few words, and the
notice's own words with the place they stand (NOTICE.md, in simplified characters). The codes
R1 … R6 (DESIGN.md) stay for the reviewers' filters; filers are shown the words."""

from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NoticeRule:
    code: str
    title: str
    where: str  # the notice's own numbering: part, then point
    words: str  # quoted as published, so not translated

    @property
    def citation(self) -> str:
        return gettext("The notice, %(where)s: “%(words)s”") % {
            "where": self.where,
            "words": self.words,
        }


NOTICE_RULES: dict[str, NoticeRule] = {
    rule.code: rule
    for rule in (
        NoticeRule(
            "R1",
            _("Nothing in the name of the Department of Finance"),
            "一、1",
            "不得以财政厅名义建设相关自媒体。",
        ),
        NoticeRule(
            "R2",
            _("Approval or registration, by the name it is built in"),
            "一、2–3",
            "以江西财经职业学院名义建设的新媒体，必须经过审批。……以学院所属二级学院或部门名义"
            "建设的新媒体，必须登记备案。",
        ),
        NoticeRule(
            "R3",
            _("Temporary groups whose task is done and zombie groups are cleaned up"),
            "一、2",
            "清理因阶段性工作临时组建、且相关任务已完成的（如各类会议、培训、文体教育活动等），"
            "或因长期不使用、已不具备相关职能的“僵尸工作群”。",
        ),
        NoticeRule(
            "R4",
            _("Duplicates are merged, deregistered or taken down"),
            "一、3",
            "重复建设以及无特殊工作需要的各类新媒体，一律予以整合、注销、下架。",
        ),
        NoticeRule(
            "R5",
            _("Work groups admit the department's staff only, by real name"),
            "三",
            "严格区分工作群和聊天群。工作群实行实名准入和请出制度，群成员必须为本部门人员，"
            "对已离开的人员要及时移请出群。",
        ),
        NoticeRule(
            "R6",
            _("Whoever builds it manages it"),
            "三",
            "按照“谁建谁管”的原则……加强对所属部门QQ群、微信群、微信公众号等新媒体内容的审核"
            "与日常管理等工作。",
        ),
    )
}


def notice_choices(*, codes: bool = True) -> list[tuple[str, str]]:
    """The filter by rule: what each asks, after its code for the reviewers."""
    return [
        (code, f"{code} {rule.title}" if codes else str(rule.title))
        for code, rule in NOTICE_RULES.items()
    ]
