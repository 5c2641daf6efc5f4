"""Load realistic demo data through the same services the site uses; safe to run again."""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken, key_hash
from approvals import services
from approvals.forms import next_june_8
from approvals.models import Campaign, DepartmentReturn, Filing, SignOffLevel
from approvals.services import changes, returns
from approvals.services.steps import step_take
from cleanup import services as cleanup_services
from registry.models import Account, Department, Staff
from registry.roles import FILER_GROUP, HEAD_GROUP, LEADER_GROUP, REVIEWER_GROUP
from robots.models import Robot
from robots.platforms import PLATFORMS, PlatformName

PASSWORD = "demo-2026"
# filer_kj's API token in the demo: as public as the password, and for the demo only.
DEMO_API_KEY = "4f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f"

DEPARTMENTS = [
    ("KJ", "会计学院", Department.Kind.COLLEGE),
    ("CS", "财税金融学院", Department.Kind.COLLEGE),
    ("GS", "工商管理学院", Department.Kind.COLLEGE),
    ("XX", "信息技术学院", Department.Kind.COLLEGE),
    ("SM", "商贸流通学院", Department.Kind.COLLEGE),
    ("YS", "艺术设计学院", Department.Kind.COLLEGE),
    ("MK", "马克思主义学院", Department.Kind.COLLEGE),
    ("DZB", "党政办公室", Department.Kind.OFFICE),
    ("XC", "宣传统战处", Department.Kind.OFFICE),
    ("JW", "教务处", Department.Kind.OFFICE),
    ("XG", "学生工作处", Department.Kind.OFFICE),
    ("NC", "南昌校区", Department.Kind.CAMPUS),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "慧",
    "建华",
    "志强",
    "晓东",
    "海燕",
    "文博",
    "思远",
]
POSTS = ["院长", "副院长", "办公室主任", "辅导员", "教研室主任", "团委书记", "科员", "教师"]

P, C, N = Account.Platform, Account.Category, Account.NamingLevel
# (name suffix, platform, category, naming level, purpose, proposed disposition)
# fmt: off
TEMPLATES = [
    ("官方微信公众号", P.WECHAT_OFFICIAL, C.PUBLISHING, N.DEPARTMENT, "发布新闻和通知", "keep"),
    ("教职工工作群", P.WECHAT_GROUP, C.WORK_GROUP, N.DEPARTMENT, "布置日常工作、传达通知", "keep"),
    ("教职工QQ群", P.QQ_GROUP, C.WORK_GROUP, N.DEPARTMENT, "传送工作文件", "keep"),
    ("2024级辅导员工作群", P.WECHAT_GROUP, C.WORK_GROUP, N.WORK, "协调学生工作", "keep"),
    ("2023级新生QQ群", P.QQ_GROUP, C.CHAT_GROUP, N.WORK, "新生答疑交流", "keep"),
    ("学生干部工作群", P.QQ_GROUP, C.WORK_GROUP, N.WORK, "学生干部工作安排", "keep"),
    ("党支部工作群", P.WECOM_GROUP, C.WORK_GROUP, N.DEPARTMENT, "党支部组织生活通知", "keep"),
    ("迎新工作临时群", P.WECHAT_GROUP, C.TEMPORARY_GROUP, N.WORK, "2024年迎新工作协调", "dissolve"),
    ("技能大赛培训群", P.DINGTALK_GROUP, C.TEMPORARY_GROUP, N.WORK, "省级技能大赛集训", "keep"),
    ("抖音号", P.DOUYIN, C.PUBLISHING, N.DEPARTMENT, "展示校园生活短视频", "keep"),
    ("视频号", P.CHANNELS, C.PUBLISHING, N.DEPARTMENT, "发布活动视频", "keep"),
    ("官方微博", P.WEIBO, C.PUBLISHING, N.DEPARTMENT, "发布本单位动态", "take_down"),
    ("家长联络群", P.WECHAT_GROUP, C.CHAT_GROUP, N.WORK, "与学生家长沟通", "keep"),
    ("毕业生就业服务群", P.QQ_GROUP, C.WORK_GROUP, N.WORK, "推送招聘信息", "keep"),
    ("教研室交流群", P.WECHAT_GROUP, C.CHAT_GROUP, N.DEPARTMENT, "教研室日常交流", "keep"),
    ("旧版公众号", P.WECHAT_OFFICIAL, C.PUBLISHING, N.DEPARTMENT, "早期宣传用，已停更", "merge"),
    ("闲置聊天群", P.QQ_GROUP, C.CHAT_GROUP, N.WORK, "早年活动交流，已无人发言", "dissolve"),
    ("小红书号", P.XIAOHONGSHU, C.PUBLISHING, N.DEPARTMENT, "招生宣传", "keep"),
]
# fmt: on
# The last template's account is on a different one of these platforms in each department, so
# that the demo shows every platform without adding accounts.
PUBLIC_PLATFORMS = [
    ("小红书号", P.XIAOHONGSHU),
    ("今日头条号", P.TOUTIAO),
    ("快手号", P.KUAISHOU),
    ("B站号", P.BILIBILI),
    ("小程序", P.MINI_PROGRAM),
    ("服务APP", P.APP),
    ("今日校园号", P.OTHER),
]
# The school's own accounts (R2: they need approval, not registration), by department and template.
SCHOOL_ACCOUNTS = {
    ("XC", 0): "江西财经职业学院官方微信公众号",
    ("XC", 9): "江西财经职业学院官方抖音号",
    ("XC", 11): "江西财经职业学院官方微博",
    ("DZB", 10): "江西财经职业学院视频号",
}
# The signing leaders, and the two groups of the school accounts' chain.
LEADERS = {
    "leader1": "分管校领导 王校长",
    "leader2": "党委委员 李书记",
    "leader3": "党委委员 赵书记",
}
CHAIN_GROUPS = ("分管校领导", "党委会签")
# What happens to a kept account, in proportion.
KEPT_OUTCOMES = (
    ["draft"] * 3
    + ["submitted"] * 4
    + ["returned"] * 2
    + ["retained"] * 6
    + ["closing"] * 1
    + ["reported"] * 1
    + ["closed"] * 1
)
# A 1x1 PNG, standing in for the screenshot of a dissolved group.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


# A few departments' returns to the active campaign, one in each state a reviewer meets; the
# others stay not started. Handing in needs every account submitted, so those departments submit
# their drafts and returned accounts first.
RETURN_OUTCOMES = {
    "CS": "not_started",
    "JW": "handed_in",
    "XG": "accepted",
    "NC": "returned",
}
# The smallest file that passes for a PDF, standing in for the stamped form's scan.
SCAN_PDF = b"%PDF-1.4\n% demo: the registration form with the department's seal\n%%EOF\n"


class Command(BaseCommand):
    help = "Load demo departments, staff, users, a campaign and about 200 accounts in every state."

    def handle(self, *args, **options):
        self.rng = random.Random(20200605)
        self.signed = 0
        with transaction.atomic():
            departments = self._departments()
            users = self.users = self._users(departments)
            self._chain(users)
            self._robots(departments)
            self._api_token(users)
            self._campaign()
            if Account.objects.filter(department__in=departments.values()).exists():
                self.stdout.write(_("Demo accounts are already present; left as they are."))
            else:
                count = self._accounts(departments, users)
                self.stdout.write(_("Created %(count)s demo accounts.") % {"count": count})
                self._changes(departments["KJ"], users)
            if count := self._returns(departments, users):
                self.stdout.write(
                    _("Created %(count)s demo department returns.") % {"count": count}
                )
            if roster := self._roster(departments, users):
                self.stdout.write(
                    _("Uploaded a demo member roster of %(count)s.")
                    % {"count": roster.member_count}
                )
            summary = cleanup_services.findings_evaluate()
            self.stdout.write(
                _("Clean-up checks: %(count)s new findings.") % {"count": summary.new}
            )
        self._print_logins(departments)

    def _departments(self) -> dict[str, Department]:
        departments = {}
        for index, (code, name, kind) in enumerate(DEPARTMENTS):
            department, _created = Department.objects.update_or_create(
                code=code, defaults={"name": name, "kind": kind}
            )
            departments[code] = department
            for number in range(8):
                Staff.objects.get_or_create(
                    staff_number=f"2{index:02d}{number:03d}",
                    defaults={
                        "name": self.rng.choice(SURNAMES) + self.rng.choice(GIVEN),
                        "department": department,
                        "post": POSTS[number],
                        "phone": f"13{self.rng.randint(100000000, 999999999)}",
                        "status": Staff.Status.ACTIVE if number < 7 else Staff.Status.LEFT,
                        "left_on": None if number < 7 else date(2024, 7, 1),
                    },
                )
        return departments

    def _user(self, username, first_name, *, group=None, superuser=False):
        user, _created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": first_name}
        )
        user.is_staff = user.is_superuser = superuser
        user.email = f"{username}@example.edu.cn"  # the demo's mail lands in EMAIL_FILE_PATH
        user.set_password(PASSWORD)
        user.save()
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    def _users(self, departments) -> dict[str, object]:
        users = {
            "admin": self._user("admin", "系统管理员", superuser=True),
            "reviewer1": self._user("reviewer1", "宣传统战处 审核员一", group=REVIEWER_GROUP),
            "reviewer2": self._user("reviewer2", "宣传统战处 审核员二", group=REVIEWER_GROUP),
        }
        # The leaders who sign school accounts off: the one in charge, then two who countersign.
        for username, name in LEADERS.items():
            users[username] = self._user(username, name, group=LEADER_GROUP)
        # The head of 会计学院 (部门负责人) reads its data and receives copies of its results.
        users["head_kj"] = self._user("head_kj", "会计学院 院长", group=HEAD_GROUP)
        departments["KJ"].heads.add(users["head_kj"])
        for code, department in departments.items():
            filer = self._user(
                f"filer_{code.lower()}", f"{department.name} 填报人", group=FILER_GROUP
            )
            department.filers.add(filer)
            users[code] = filer
        return users

    def _chain(self, users):
        """Accounts in the school's name: the leader in charge signs (或签), then both members
        of the Party committee's countersigning group (会签)."""
        in_charge, _created = Group.objects.get_or_create(name=CHAIN_GROUPS[0])
        countersign, _created = Group.objects.get_or_create(name=CHAIN_GROUPS[1])
        users["leader1"].groups.add(in_charge)
        users["leader2"].groups.add(countersign)
        users["leader3"].groups.add(countersign)
        SignOffLevel.objects.update_or_create(
            naming_level="school", position=1, defaults={"group": in_charge, "mode": "any"}
        )
        SignOffLevel.objects.update_or_create(
            naming_level="school", position=2, defaults={"group": countersign, "mode": "all"}
        )

    def _sign_off(self, filing: Filing, users, *, signatures: int):
        """Sign the filing's chain up to the given number of signatures, as the leaders would."""
        for username in ("leader1", "leader2", "leader3")[:signatures]:
            filing = Filing.objects.get(pk=filing.pk)
            step_take(filing, "sign_off", by=users[username], comment="同意。")

    def _robots(self, departments):
        """Two group robots, switched off: the addresses are placeholders (docs/integrations.md)."""
        demo = [
            (
                "审核员钉钉群（示例）",
                PlatformName.DINGTALK,
                None,
                "access_token=demo0000",
                "SECdemo",
            ),
            (
                "会计学院企业微信群（示例）",
                PlatformName.WECOM,
                departments["KJ"],
                "key=demo0000",
                "",
            ),
        ]
        for name, platform, department, token, secret in demo:
            spec = PLATFORMS[platform]
            Robot.objects.get_or_create(
                name=name,
                defaults={
                    "platform": platform,
                    "department": department,
                    "webhook_url": f"https://{spec.host}{spec.path}?{token}",
                    "secret": secret,
                    "is_active": False,
                },
            )
        self.stdout.write(
            _("Two demo group robots are in the admin, switched off: give one a real webhook.")
        )

    def _api_token(self, users):
        """An API token for filer_kj, with a key as public as the demo password."""
        ApiToken.objects.get_or_create(
            key_hash=key_hash(DEMO_API_KEY),
            defaults={
                "user": users["KJ"],
                "name": "示例脚本（会计学院）",
                "prefix": DEMO_API_KEY[:8],
            },
        )

    def _campaign(self):
        today = timezone.localdate()
        deadline = next_june_8(today)
        Campaign.objects.get_or_create(
            title=f"{deadline.year}年新媒体、微信和QQ工作群清理整治专项行动",
            defaults={
                "document_number": "赣府厅明〔2020〕46号",
                "starts_on": min(today, deadline - timedelta(days=30)),
                "deadline": deadline,
                "office_email": "195291955@qq.com",
                "is_active": not Campaign.objects.filter(is_active=True).exists(),
            },
        )
        # Next: the yearly review (年审) of every account kept, ready for a reviewer to make it
        # the active campaign once the clean-up is over (docs/guide-reviewer.md).
        Campaign.objects.get_or_create(
            title=f"{deadline.year}年度新媒体账号年审",
            defaults={
                "kind": Campaign.Kind.ANNUAL_REVIEW,
                "starts_on": date(deadline.year, 12, 1),
                "deadline": date(deadline.year, 12, 21),
                "office_email": "195291955@qq.com",
            },
        )

    def _accounts(self, departments, users) -> int:
        reviewers = [users["reviewer1"], users["reviewer2"]]
        count = 0
        for index, (code, department) in enumerate(departments.items()):
            filer = users[code]
            staff = list(department.staff.filter(status=Staff.Status.ACTIVE))
            survivor = None
            for number, template in enumerate(TEMPLATES):
                account = self._account(department, staff, index, number, template, survivor)
                filing = services.filing_create(account=account, by=filer)
                if number == 0:
                    survivor = account
                if number == 0:
                    outcome = "retained"  # the survivor that duplicates are merged into
                elif account.needs_approval:
                    outcome = "retained"  # the school's official accounts, through the chain
                elif account.disposition == "keep":
                    outcome = self.rng.choice(KEPT_OUTCOMES)
                else:
                    outcome = self.rng.choice(["submitted", "closing", "reported", "closed"])
                self._walk(filing, outcome, filer, self.rng.choice(reviewers))
                count += 1
        # R1: a name that must never be approved; it stays a draft whose page says why it cannot
        # be submitted.
        finance = departments["CS"]
        account = self._account(
            finance,
            list(finance.staff.all()),
            99,
            0,
            ("财政厅资助政策宣传群", P.QQ_GROUP, C.WORK_GROUP, N.WORK, "转发资助政策", "keep"),
            None,
            prefix=False,
        )
        services.filing_create(account=account, by=users["CS"])
        return count + 1

    def _account(self, department, staff, index, number, template, survivor, *, prefix=True):
        suffix, platform, category, level, purpose, disposition = template
        if platform == P.XIAOHONGSHU:
            suffix, platform = PUBLIC_PLATFORMS[index % len(PUBLIC_PLATFORMS)]
        name = f"{department.name}{suffix}" if prefix else suffix
        if school_name := SCHOOL_ACCOUNTS.get((department.code, number)):
            name, level, disposition = school_name, N.SCHOOL, "keep"
        owner, reviewer = staff[number % len(staff)], staff[(number + 1) % len(staff)]
        today = timezone.localdate()
        created = today - timedelta(days=self.rng.randint(120, 1500))
        return Account(
            department=department,
            name=name,
            platform=platform,
            platform_name="今日校园" if platform == P.OTHER else "",
            account_type=(
                self.rng.choice(Account.AccountType.values) if platform == P.WECHAT_OFFICIAL else ""
            ),
            number=self._number(platform, index, number),
            naming_level=level,
            category=category,
            purpose=purpose,
            created_on=created,
            task_end_on=created + timedelta(days=60) if category == C.TEMPORARY_GROUP else None,
            owner_name=owner.name,
            owner_post=owner.post,
            owner_phone=owner.phone,
            security_contact_name=reviewer.name,
            member_count=self.rng.randint(8, 2000),
            real_name_admission=category == C.WORK_GROUP,
            last_active_on=today - timedelta(days=self.rng.randint(0, 400)),
            disposition=disposition,
            merge_into=survivor if disposition == "merge" else None,
            disposition_reason={
                "merge": "与本单位官方公众号重复建设",
                "dissolve": "任务已结束或长期不使用",
                "take_down": "无特殊工作需要",
            }.get(disposition, ""),
            rules_acknowledged=True,
        )

    def _changes(self, department, users):
        """变更备案 on two of the department's registered accounts: an owner who left, approved
        (the account page's field history shows it), and a new purpose still waiting."""
        registered = list(
            Account.objects.filter(department=department, filing__state=Filing.State.REGISTERED)
            .exclude(owner_name="")
            .order_by("pk")[:2]
        )
        if len(registered) < 2:
            return
        approved, waiting = registered
        approved.owner_name, approved.owner_post = "王芳", "办公室副主任"
        change = changes.change_request_create(
            account=approved,
            by=users["KJ"],
            version=approved.version,
            reason="原负责人调离，改由王芳负责。",
        )
        step_take(change, "approve_change", by=users["reviewer1"], comment="同意变更。")
        waiting.purpose = f"{waiting.purpose}；兼作新生答疑"
        changes.change_request_create(
            account=waiting, by=users["KJ"], version=waiting.version, reason="用途扩大到新生答疑。"
        )
        self.stdout.write(_("Created two demo change requests: one approved, one waiting."))

    def _number(self, platform, index, number) -> str:
        if platform in Account.NUMBERLESS_PLATFORMS:
            return ""
        serial = index * 100 + number
        if platform == P.WECHAT_OFFICIAL:
            return f"gh_{0x5A17 * (serial + 1):012x}"
        if platform == P.QQ_GROUP:
            return str(610000000 + serial * 7919)
        return f"{platform}-{serial:05d}"

    def _walk(self, filing: Filing, outcome: str, filer, reviewer):
        """Move a new filing to the outcome through the real transitions, as people would."""
        if outcome == "draft":
            return
        services.step_take(filing, "submit", by=filer, comment="已完成自查，请审核。")
        if outcome == "returned":
            services.step_take(
                filing, "return_for_revision", by=reviewer, comment="请补充群主职务并核实成员人数。"
            )
        elif outcome == "retained":
            if filing.account.needs_approval:
                services.step_take(filing, "approve", by=reviewer, comment="同意保留。")
                # The second school account waits for the leader in charge, the third for the
                # last countersignature; the others went through the whole chain.
                self.signed += 1
                self._sign_off(filing, self.users, signatures={2: 0, 3: 2}.get(self.signed, 3))
            else:
                services.step_take(filing, "register", by=reviewer, comment="已登记备案。")
        elif outcome in ("closing", "reported", "closed"):
            account = filing.account
            kind = account.disposition if account.disposition != "keep" else "dissolve"
            services.step_take(
                filing,
                "order_closure",
                by=reviewer,
                kind=kind,
                reason=account.disposition_reason or "长期不使用的僵尸群",
                merge_into=account.merge_into,
            )
            if outcome in ("reported", "closed"):
                services.step_take(
                    filing,
                    "report_closed",
                    by=filer,
                    evidence=SimpleUploadedFile("done.png", PNG, content_type="image/png"),
                    comment="已解散，截图见附件。",
                )
            if outcome == "closed":
                services.step_take(filing, "confirm_closed", by=reviewer, comment="确认已关停。")

    def _returns(self, departments, users) -> int:
        """Department returns in several states, once per campaign, through the services."""
        campaign = Campaign.objects.filter(is_active=True).first()
        if campaign is None or DepartmentReturn.objects.filter(campaign=campaign).exists():
            return 0
        reviewer = users["reviewer1"]
        for code, outcome in RETURN_OUTCOMES.items():
            filer, department = users[code], departments[code]
            department_return = returns.return_get(campaign=campaign, department=department)
            if outcome == "not_started":
                continue
            open_filings = Filing.objects.filter(
                account__department=department, state__in=Filing.EDITABLE_STATES
            ).select_related("account__department")
            for filing in open_filings:
                services.step_take(filing, "submit", by=filer, comment="自查完毕，请审核。")
            step_take(
                department_return,
                "hand_in",
                by=filer,
                comment="本单位登记表已报送。",
                # Asked for only where a blocking finding is open.
                reason="相关账号名称已报宣传统战处另行审定。",
            )
            # The stamped scan comes after the hand-in, of the form that was handed in.
            step_take(
                department_return,
                "upload_scan",
                by=filer,
                scan=SimpleUploadedFile("登记表.pdf", SCAN_PDF, content_type="application/pdf"),
                comment="登记表已盖章扫描。",
            )
            if outcome == "accepted":
                step_take(department_return, "accept", by=reviewer, comment="材料齐全，已接收。")
            elif outcome == "returned":
                step_take(
                    department_return,
                    "send_back",
                    by=reviewer,
                    comment="扫描件缺少单位公章，请重新盖章后报送。",
                )
        return len(RETURN_OUTCOMES)

    def _roster(self, departments, users):
        """One work group's member list, as QQ exports it: staff in post, one who left, one of
        another department and two outsiders; once."""
        from cleanup.models import Roster

        account = Account.objects.filter(
            department=departments["KJ"], platform=P.QQ_GROUP, category=C.WORK_GROUP
        ).first()
        if account is None or Roster.objects.filter(account=account).exists():
            return None
        staff = list(departments["KJ"].staff.all()) + list(departments["CS"].staff.all()[:1])
        lines = [f"群成员列表（群号：{account.number}）", "序号,成员,群名片,QQ号,性别,入群时间"]
        cards = [f"{person.name}-会计学院" for person in staff]
        cards += ["家长-王同学", "🌟小太阳🌟"]
        for n, card in enumerate(cards, start=1):
            lines.append(f"{n},网友{n},{card},{800000 + n},男,2024/09/01 10:00")
        upload = SimpleUploadedFile("群成员.csv", "\n".join(lines).encode("utf-8-sig"))
        return cleanup_services.roster_upload(account=account, by=users["KJ"], upload=upload)

    def _print_logins(self, departments):
        self.stdout.write(
            "\n" + _("Demo logins (password for all: %(password)s):") % {"password": PASSWORD}
        )
        self.stdout.write("  admin        系统管理员（管理后台）")
        self.stdout.write("  reviewer1    审核员（宣传统战处）")
        self.stdout.write("  reviewer2    审核员（宣传统战处）")
        for username, name in LEADERS.items():
            self.stdout.write(f"  {username:<12} 审批领导（{name}）")
        self.stdout.write("  head_kj      部门负责人（会计学院：查看本单位数据，接收抄送）")
        for code, department in departments.items():
            self.stdout.write(f"  filer_{code.lower():<6} 部门填报人（{department.name}）")
        self.stdout.write(
            _("Demo API token of filer_kj (the API's page: /api/docs/): %(key)s")
            % {"key": DEMO_API_KEY}
        )
