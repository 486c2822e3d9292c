"""Regenerate ``cn_workdays.json``: the State Council working-day schedule, 2004–2026.

In:  the ``chinesecalendar`` package (test/build-time dependency only; the engine never
     imports it) plus the hand-written notice citations and corrections in this file.
Out: ``engine/data/cn_workdays.json``, byte-for-byte deterministic for a given
     chinesecalendar version, so the test suite can check that the committed file is
     exactly what this script produces.

Run::

    .venv/bin/python -m engine.data.build_cn_workdays           # rewrite the JSON
    .venv/bin/python -m engine.data.build_cn_workdays --check   # exit 1 if stale

How the table is derived (why each step):

* A day's working/rest status comes from ``chinese_calendar.is_workday``, corrected by
  ``CORRECTIONS`` where the package disagrees with the notice text.
* Each holiday block is the maximal run of consecutive rest days that contains a day
  chinesecalendar labels with a holiday.  That is exactly the "X月X日至X月X日放假"
  span of the notices, including the weekend days joined to the holiday ("与周末连休"),
  which chinesecalendar labels only sometimes.
* Every block and make-up day is filed under the notice that created it.  New Year
  blocks and make-up days that fall in late December belong to the *next* year's notice
  (e.g. 2018-12-29 was worked for 元旦 2019 under the 2019 notice).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

FIRST_YEAR = 2004
LAST_YEAR = 2026
OUT = Path(__file__).with_name("cn_workdays.json")

# chinesecalendar's English labels -> the names the notices use.
NAMES: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

# Blocks whose notice names two festivals although chinesecalendar labels every day with
# one (Mid-Autumn fell on 1 October 2020 itself).  Key: (notice year, first day).
BLOCK_NAME_OVERRIDES: dict[tuple[int, str], str] = {
    (2020, "2020-10-01"): "国庆节、中秋节",
}

# The statutes (全国年节及纪念日放假办法 and its amendments) that fix the statutory days.
STATUTES: list[dict[str, Any]] = [
    {
        "id": "国务院令第270号",
        "title": "全国年节及纪念日放假办法（1999年修订）",
        "date": "1999-09-18",
        "in_force": [2000, 2007],
        "statutory_days": 10,
        "summary": "元旦1天；春节3天；劳动节3天；国庆节3天。",
    },
    {
        "id": "国务院令第513号",
        "title": "国务院关于修改《全国年节及纪念日放假办法》的决定",
        "date": "2007-12",
        "in_force": [2008, 2013],
        "statutory_days": 11,
        "summary": "增设清明、端午、中秋各1天；劳动节改为1天；春节为除夕、初一、初二。",
        "url": "https://www.gov.cn/gongbao/content/2008/content_859863.htm",
    },
    {
        "id": "国务院令第644号",
        "title": "国务院关于修改《全国年节及纪念日放假办法》的决定",
        "date": "2013-12",
        "in_force": [2014, 2024],
        "statutory_days": 11,
        "summary": "春节改为农历正月初一、初二、初三（除夕不再是法定假日）。",
        "url": "https://www.gov.cn/gongbao/content/2014/content_2561284.htm",
    },
    {
        "id": "国务院令第795号",
        "title": "国务院关于修改《全国年节及纪念日放假办法》的决定",
        "date": "2024-11",
        "in_force": [2025, None],
        "statutory_days": 13,
        "summary": "自2025年1月1日起全体公民放假的假日增加2天：春节增加除夕（除夕至初三共4天），"
        "劳动节增加5月2日（共2天）。",
        "url": "https://www.gov.cn/gongbao/2024/issue_11726/202411/content_6989774.html",
    },
]

_GONGBAO = "https://www.gov.cn/gongbao/"
_WIKISOURCE = "https://zh.wikisource.org/wiki/"

# One entry per year: the notice's document number only where a reprint of the notice
# text (or gov.cn's own listing) shows it; otherwise "文号待核" and the unconfirmed
# candidate in `note`.  `date` is the date the notice bears (落款) or, where only that is
# known, its publication on gov.cn; month precision where neither day is confirmed.
# URLs: the State Council Gazette (国务院公报) pages, as cited by the `holidays` package.
NOTICES: dict[int, dict[str, Any]] = {
    2004: {
        "number": "文号待核",
        "date": "2003-12",
        "url": _WIKISOURCE + "国务院办公厅关于2004年部分节假日安排的通知",
        "note": "二手资料作国办发明电〔2003〕53号、2003-12-18，未见原件。",
    },
    2005: {
        "number": "文号待核",
        "date": "2004-12",
        "url": _WIKISOURCE + "国务院办公厅关于2005年部分节假日安排的通知",
        "note": "二手资料作国办发明电〔2004〕52号、2004-12-17，未见原件。",
    },
    2006: {
        "number": "国办发明电〔2005〕35号",
        "date": "2005-12-16",
        "url": _WIKISOURCE + "国务院办公厅关于2006年部分节假日安排的通知",
    },
    2007: {
        "number": "国办发明电〔2006〕49号",
        "date": "2006-12-14",
        "url": _GONGBAO + "content/2007/content_503397.htm",
    },
    2008: {
        "number": "文号待核",
        "date": "2007-12",
        "url": _GONGBAO + "content/2008/content_859870.htm",
        "note": "二手资料作国办发明电〔2007〕52号，未见原件。首个按国务院令第513号安排的年份。",
    },
    2009: {
        "number": "国办发明电〔2008〕42号",
        "date": "2008-12",
        "url": _GONGBAO + "content/2008/content_1175823.htm",
    },
    2010: {
        "number": "国办发明电〔2009〕27号",
        "date": "2009-12-07",
        "url": _GONGBAO + "content/2009/content_1487011.htm",
    },
    2011: {
        "number": "国办发明电〔2010〕40号",
        "date": "2010-12-09",
        "url": _GONGBAO + "content/2010/content_1765282.htm",
    },
    2012: {
        "number": "国办发明电〔2011〕45号",
        "date": "2011-12-05",
        "url": _GONGBAO + "content/2011/content_2020918.htm",
    },
    2013: {
        "number": "国办发明电〔2012〕33号",
        "date": "2012-12-08",
        "url": _GONGBAO + "content/2012/content_2292057.htm",
    },
    2014: {
        "number": "国办发明电〔2013〕28号",
        "date": "2013-12-11",
        "url": _GONGBAO + "content/2014/content_2561299.htm",
        "note": "首个按国务院令第644号安排的年份（除夕不再放假）。",
    },
    2015: {
        "number": "国办发明电〔2014〕28号",
        "date": "2014-12-16",
        "url": _GONGBAO + "content/2015/content_2799019.htm",
    },
    2016: {
        "number": "国办发明电〔2015〕18号",
        "date": "2015-12-10",
        "url": _GONGBAO + "content/2016/content_2979719.htm",
    },
    2017: {
        "number": "国办发明电〔2016〕17号",
        "date": "2016-12-01",
        "url": _GONGBAO + "content/2016/content_5148793.htm",
    },
    2018: {
        "number": "国办发明电〔2017〕12号",
        "date": "2017-11-30",
        "url": _GONGBAO + "content/2017/content_5248221.htm",
    },
    2019: {
        "number": "国办发明电〔2018〕15号",
        "date": "2018-12",
        "url": _GONGBAO + "content/2018/content_5350046.htm",
    },
    2020: {
        "number": "国办发明电〔2019〕16号",
        "date": "2019-11-21",
        "url": _GONGBAO + "content/2019/content_5459138.htm",
    },
    2021: {
        "number": "国办发明电〔2020〕27号",
        "date": "2020-11-25",
        "url": _GONGBAO + "content/2020/content_5567750.htm",
    },
    2022: {
        "number": "国办发明电〔2021〕11号",
        "date": "2021-10-25",
        "url": _GONGBAO + "content/2021/content_5651728.htm",
    },
    2023: {
        "number": "国办发明电〔2022〕16号",
        "date": "2022-12-08",
        "url": _GONGBAO + "content/2023/content_5736714.htm",
    },
    2024: {
        "number": "国办发明电〔2023〕7号",
        "date": "2023-10-25",
        "url": _GONGBAO + "2023/issue_10806/202311/content_6913823.html",
    },
    2025: {
        "number": "国办发明电〔2024〕12号",
        "date": "2024-11-12",
        "url": _GONGBAO + "2024/issue_11726/202411/content_6989767.html",
        "note": "首个按国务院令第795号（2024年11月修订《全国年节及纪念日放假办法》）安排的"
        "年份：法定节假日由11天增至13天，春节自除夕起放假（除夕至初三4天），"
        "劳动节增加5月2日（2天）。",
    },
    2026: {
        "number": "国办发明电〔2025〕7号",
        "date": "2025-11-04",
        "url": _GONGBAO + "2025/issue_12406/202511/content_7048922.html",
    },
}

# Later notices that changed a year's arrangement after it was published.  Their effect is
# already in chinesecalendar's data; they are cited so that the table says why.
SUPPLEMENTS: dict[int, list[dict[str, Any]]] = {
    2015: [
        {
            "title": "国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知",
            "number": "国发明电〔2015〕1号",
            "date": "2015-05-13",
            "effect": "9月3日至5日调休放假，共3天；9月6日（星期日）上班。",
        }
    ],
    2019: [
        {
            "title": "国务院办公厅关于调整2019年劳动节假期安排的通知",
            "number": "国办发明电〔2019〕3号",
            "date": "2019-03-22",
            "url": _GONGBAO + "content/2019/content_5380356.htm",
            "effect": "劳动节改为5月1日至4日放假调休，共4天；"
            "4月28日（星期日）、5月5日（星期日）上班。",
        }
    ],
    2020: [
        {
            "title": "国务院办公厅关于延长2020年春节假期的通知",
            "number": "国办发明电〔2020〕1号",
            "date": "2020-01-26",
            "url": _GONGBAO + "content/2020/content_5477297.htm",
            "effect": "春节假期延长至2月2日，2月3日起正常上班；原定2月1日（星期六）上班取消。",
        }
    ],
}


@dataclass(frozen=True)
class Correction:
    """A day where chinesecalendar disagrees with the notice text; the notice wins."""

    day: date
    workday: bool
    holiday: str  # the holiday (Chinese name) the day belongs to
    notice_year: int
    reason: str


CORRECTIONS: list[Correction] = [
    Correction(
        day=date(2005, 12, 31),
        workday=True,
        holiday="元旦",
        notice_year=2006,
        reason="国办发明电〔2005〕35号：将12月31日（星期六）、1月1日（星期日）两个公休日调至"
        "1月2日、3日，12月31日（星期六）上班。chinesecalendar 1.11.0 漏记此调休上班日；"
        "holidays 包记为工作日。",
    ),
]


def notice_title(year: int) -> str:
    """The standard title of the yearly notice."""
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


def statute_for(year: int) -> str:
    """The order in force for a year's statutory days."""
    for s in STATUTES:
        lo, hi = s["in_force"]
        if lo <= year and (hi is None or year <= hi):
            return str(s["id"])
    raise ValueError(year)


def _notice_year(day: date, label: str) -> int:
    """Which year's notice created this holiday day / make-up day (see module doc)."""
    if label == "New Year's Day" and day.month == 12:
        return day.year + 1
    return day.year


def build() -> dict[str, Any]:
    """Compute the whole JSON document from chinesecalendar + the tables above."""
    import importlib.metadata

    import chinese_calendar  # type: ignore[import-untyped]
    from chinese_calendar.constants import (  # type: ignore[import-untyped]
        holidays as cc_holidays,
    )
    from chinese_calendar.constants import (
        workdays as cc_workdays,
    )

    corrections = {c.day: c for c in CORRECTIONS}
    lo = date(FIRST_YEAR - 1, 12, 1)  # the first notice may reach back into December
    hi = date(LAST_YEAR, 12, 31)

    def is_workday(d: date) -> bool:
        if d in corrections:
            return corrections[d].workday
        if not (date(FIRST_YEAR, 1, 1) <= d <= hi) and d not in cc_holidays:
            return d.weekday() < 5
        return bool(chinese_calendar.is_workday(d))

    # 1. Holiday blocks: maximal rest-day runs around every labelled holiday day.
    blocks: dict[int, list[dict[str, Any]]] = {y: [] for y in range(FIRST_YEAR, LAST_YEAR + 1)}
    seen: set[date] = set()
    for day in sorted(d for d in cc_holidays if lo <= d <= hi):
        if day in seen or is_workday(day):
            continue
        start = day
        while not is_workday(start - timedelta(days=1)):
            start -= timedelta(days=1)
        end = day
        while end < hi and not is_workday(end + timedelta(days=1)):
            end += timedelta(days=1)
        run = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        seen.update(run)
        labels: list[str] = []
        for d in run:
            lab = cc_holidays.get(d)
            if lab is not None and NAMES[lab] not in labels:
                labels.append(NAMES[lab])
        first_label = next(cc_holidays[d] for d in run if d in cc_holidays)
        year = _notice_year(next(d for d in run if d in cc_holidays), first_label)
        name = BLOCK_NAME_OVERRIDES.get((year, start.isoformat()), "、".join(labels))
        blocks[year].append(
            {
                "name": name,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "days": len(run),
                "makeup_workdays": [],
            }
        )

    # 2. Make-up working days, each filed under the block of its holiday.
    makeups: dict[date, tuple[int, str]] = {}
    for day, label in cc_workdays.items():
        if lo <= day <= hi and is_workday(day):
            makeups[day] = (_notice_year(day, label), NAMES[label])
    for c in CORRECTIONS:
        if c.workday:
            makeups[c.day] = (c.notice_year, c.holiday)

    years: list[dict[str, Any]] = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        ys_makeups = []
        for day in sorted(d for d, (y, _) in makeups.items() if y == year):
            holiday = makeups[day][1]
            # The nearest block of the same notice whose name contains this holiday.
            owners = [b for b in blocks[year] if holiday in b["name"].split("、")]
            if not owners:
                raise SystemExit(f"make-up day {day} ({holiday}) has no holiday block")
            owner = min(owners, key=lambda b: abs((date.fromisoformat(b["from"]) - day).days))
            owner["makeup_workdays"].append(day.isoformat())
            ys_makeups.append({"date": day.isoformat(), "holiday": owner["name"]})

        jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
        working = sum(
            1 for i in range((dec31 - jan1).days + 1) if is_workday(jan1 + timedelta(days=i))
        )
        notice = {"title": notice_title(year), **NOTICES[year]}
        entry: dict[str, Any] = {
            "year": year,
            "notice": notice,
            "supplements": SUPPLEMENTS.get(year, []),
            "statute": statute_for(year),
            "holidays": blocks[year],
            "makeup_workdays": ys_makeups,
            "working_days": working,
        }
        years.append(entry)

    return {
        "schema": 1,
        "description": "国务院办公厅历年部分节假日安排（放假日与调休上班日），2004–2026。"
        "Each holiday block is the full rest span the notice gives (weekend days joined to "
        "it included); make-up working days are weekend days worked. Any other day: "
        "Monday–Friday work, Saturday–Sunday rest.",
        "generated_by": "engine/data/build_cn_workdays.py",
        "derived_from": "chinesecalendar " + importlib.metadata.version("chinesecalendar"),
        "first_year": FIRST_YEAR,
        "last_year": LAST_YEAR,
        "statutes": STATUTES,
        "corrections": [
            {
                "date": c.day.isoformat(),
                "workday": c.workday,
                "holiday": c.holiday,
                "notice_year": c.notice_year,
                "reason": c.reason,
            }
            for c in CORRECTIONS
        ],
        "years": years,
    }


def render(doc: dict[str, Any]) -> str:
    """Serialise deterministically (stable key order, UTF-8, trailing newline)."""
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the JSON, or with --check report whether the committed file is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--check", action="store_true", help="exit 1 if the JSON is stale")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is stale; run python -m engine.data.build_cn_workdays", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
