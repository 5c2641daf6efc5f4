"""Dates as offices type them, whatever the browser's language: 2026-12-05, 2026/12/5,
2026年12月5日, 2026.12.5. Django's own zh_Hans list writes the last as ``%Y年%n月%j日``, which
Python's strptime reads as a day of the year, so it never matched."""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d"]
