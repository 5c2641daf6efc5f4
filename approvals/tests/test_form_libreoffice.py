"""The department's xlsx printed by LibreOffice (headless, to PDF), as an office would print it:
the pages we set, and every name whole on them (cells wrap, nothing is cut off)."""

import io
import os
import shutil
import subprocess

import openpyxl
import pytest
from pypdf import PdfReader

from approvals.models import Filing
from approvals.services import exports
from approvals.tests.factories import filing_in

LONG_NAME = "会计学院2026年技能大赛集训临时工作群" * 3  # 60 characters


def _soffice() -> str:
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        reason = "LibreOffice is not installed (Debian package libreoffice-calc-nogui)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must print the form with LibreOffice: {reason}")
        pytest.skip(reason)
    return program


def _print(content: bytes, tmp_path) -> PdfReader:
    source = tmp_path / "form.xlsx"
    source.write_bytes(content)
    # A profile of its own, so that a LibreOffice already running elsewhere is not disturbed.
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [
            *(_soffice(), f"-env:UserInstallation={profile}", "--headless"),
            *("--convert-to", "pdf", "--outdir", str(tmp_path), str(source)),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return PdfReader(io.BytesIO((tmp_path / "form.pdf").read_bytes()))


def _text(page) -> str:
    return "".join(page.extract_text().split())  # the lines a cell wraps into, joined


def test_it_prints_every_name_whole_on_numbered_pages(department, tmp_path):
    names = [LONG_NAME, "dingtalk_group-" + "0123456789" * 4]
    filing_in(
        Filing.State.REGISTERED,
        department=department,
        name=names[0],
        purpose="用于发布集训通知、安排训练场地和时间、收集参赛材料。" * 7,  # 182 of 200
        number="https://mp.weixin.qq.com/" + "x" * 60,
    )
    filing_in(Filing.State.CLOSING, department=department, name=names[1])
    for n in range(40):
        name = f"{department.name}第{n:02d}期教学工作群"
        names.append(name)
        filing_in(Filing.State.REGISTERED, department=department, name=name)
    content = exports.form_xlsx(department=department, mask=False)
    pdf = _print(content, tmp_path)
    pages = [_text(page) for page in pdf.pages]
    text = "".join(pages)
    # The pages are the ones the form sets: LibreOffice adds no break of its own.
    breaks = openpyxl.load_workbook(io.BytesIO(content)).active.row_breaks.brk
    assert len(pdf.pages) == len(breaks) + 1 >= 2
    for name in names:
        assert name in text, name
    assert "解散（关停中）" in text
    assert f"第1页，共{len(pages)}页" in pages[0]
    assert f"第{len(pages)}页，共{len(pages)}页" in pages[-1]
    assert all("序号" in page for page in pages)  # the header on every page
    # The signature block on the page of the last row.
    assert names[-1] in pages[-1] and "部门负责人（签字）" in pages[-1]
