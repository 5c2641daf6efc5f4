"""Draw the filing state machine from its table of steps, so the documented diagram cannot
drift."""

from django.core.management.base import BaseCommand
from django.utils import translation

from approvals.models import Filing

# The language the users read; the command renders in it whatever language the caller has active.
LANGUAGE = "zh-hans"

DOCS_PAGE = "docs/state-diagram.md"
REGENERATE = f"DEBUG=1 .venv/bin/python manage.py state_diagram --markdown > {DOCS_PAGE}"
PAGE_HEAD = f"""\
# 备案状态图

<!-- 由代码生成，请勿手工修改。在项目根目录运行以下命令重新生成： {REGENERATE} -->

每个账号的备案申报（Filing）处于下面的某一个状态，只能沿箭头改变。箭头上依次写着：
操作的代码名，括号里是页面上显示的操作名称和谁来做（部门填报人、审核员、审批领导或系统）。
report_closed（报告已关停）不改变状态，所以画成 closing 指向自己的箭头；
审核员要等填报人报告并上传截图后，才能 confirm_closed（确认已关停）。
审核员审批通过或登记备案后，如果该命名层级设有领导审批链（默认：以学校名义的账号须由“审批领导”任一人签批），
账号先进入“待领导审批”，逐级签批（或签：任一人；会签：全部成员）后才成为已审批或已登记备案；
审批链未走完时 sign_off 画成指向自己的箭头。

操作办法见[部门填报人使用指南](guide-filer.md)和[审核员使用指南](guide-reviewer.md)。

"""


def _text(value) -> str:
    # Mermaid ends a label at "#", ";" or a line break, so a translation must not contain them.
    return " ".join(str(value).split()).replace("#", "＃").replace(";", "；")


def edges() -> list[tuple[str, str, str]]:
    """Every (source, target, step name) of the filing state machine, in a fixed order."""
    states = list(Filing.State.values)
    order = list(Filing.machine.names)
    found = {
        (str(source), str(target), step.name)
        for step in Filing.machine
        for source in step.sources
        for target in step.targets
    }
    return sorted(
        found,
        key=lambda e: (states.index(e[0]), order.index(e[2]), states.index(e[1])),
    )


def render() -> str:
    """The state machine as a Mermaid stateDiagram-v2, labelled in the users' language."""
    initial = str(Filing._meta.get_field("state").default)
    all_edges = edges()
    sources = {source for source, _target, _name in all_edges}
    with translation.override(LANGUAGE):
        lines = ["stateDiagram-v2", f"    [*] --> {initial}"]
        lines += [f"    {state.value} : {_text(state.label)}" for state in Filing.State]
        for source, target, name in all_edges:
            step = Filing.machine[name]
            label = f"{name} ({_text(step.label)} · {_text(step.actor.label)})"
            lines.append(f"    {source} --> {target} : {label}")
        lines += [f"    {state} --> [*]" for state in Filing.State.values if state not in sources]
    return "\n".join(lines) + "\n"


def render_page() -> str:
    """The whole docs page: a short introduction, then the diagram in a mermaid block."""
    return f"{PAGE_HEAD}```mermaid\n{render()}```\n"


class Command(BaseCommand):
    help = "Print the filing state machine as a Mermaid stateDiagram-v2 read from the model."

    def add_arguments(self, parser):
        parser.add_argument(
            "--markdown",
            action="store_true",
            help=f"Print the whole {DOCS_PAGE} page instead of the bare diagram.",
        )

    def handle(self, *args, markdown=False, **options):
        self.stdout.write(render_page() if markdown else render(), ending="")
