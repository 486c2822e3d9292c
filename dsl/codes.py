"""The registry of diagnostic codes: one row per code, read by the checker, docs and tests.

In: nothing. Out: `CODES` (code, severity, title, explanation, a bad and a better
example), `severity_of(code)`, and `render_markdown()` which produces
docs/diagnostics.md (a test keeps the two in step). Codes are stable and never
renumbered: P1xx reading and syntax, N2xx names, T3xx types and scopes, S4xx structure,
G5xx grading, W9xx warnings. A retired code keeps its row, marked so in its title.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Literal["error", "warning"]
    title: str
    explain: str
    bad: str
    better: str


def _c(code: str, title: str, explain: str, bad: str, better: str) -> CodeInfo:
    severity: Literal["error", "warning"] = "warning" if code.startswith("W") else "error"
    return CodeInfo(code, severity, title, explain, bad.strip("\n"), better.strip("\n"))


CODES: tuple[CodeInfo, ...] = (
    # ------------------------------------------------------------ P1xx reading, syntax
    _c(
        "P100",
        "the file cannot be read",
        "The file is missing, unreadable, or not saved as UTF-8 text.",
        "(a policy saved in GBK encoding)",
        "(the same policy saved as UTF-8)",
    ),
    _c(
        "P101",
        "a character that has no place in the language",
        "Often a full-width punctuation mark typed with a Chinese input method, or `=` "
        "where `==` was meant.",
        "custody 分派，转办",
        "custody 分派, 转办",
    ),
    _c(
        "P102",
        "a word in the wrong place",
        "The sentence does not follow the form of the statement; the message lists what "
        "could come at that point.",
        "responsible 直接责任 actor of 补正告知",
        "responsible 直接责任 actor of first 补正告知",
    ),
    _c(
        "P103",
        "the file ends inside a block",
        "A block opened with `{` has no closing `}`.",
        'clock 发证时限 "…" {\n  start at 作出决定\n  stop at 发证\n  limit 10 workdays',
        'clock 发证时限 "…" {\n  start at 作出决定\n  stop at 发证\n  limit 10 workdays\n}',
    ),
    _c(
        "P104",
        "a text without its closing quote",
        'Texts are written between two straight double quotes `"` on one line.',
        'activity 收件 "收到申请材料',
        'activity 收件 "收到申请材料"',
    ),
    _c(
        "P105",
        "an unknown escape in a text",
        'Inside a text, a backslash starts an escape: `\\"`, `\\\\`, `\\n`, `\\t` or `\\uXXXX`.',
        'source "法规\\第32条"',
        'source "法规 第32条"',
    ),
    _c(
        "P106",
        "a date that does not exist",
        "Dates are written YYYY-MM-DD and must be real calendar days.",
        'version "2019-04-23" effective 2019-02-30',
        'version "2019-04-23" effective 2019-04-23',
    ),
    _c(
        "P107",
        "two statements on one line",
        "Each statement stands on its own line.",
        "start at 收件 stop at 补正告知",
        "start at 收件\nstop at 补正告知",
    ),
    _c(
        "P108",
        "a label or title without quotes",
        "Labels, titles, versions, notes and sources are texts in double quotes.",
        "activity 收件 收到申请材料",
        'activity 收件 "收到申请材料"',
    ),
    _c(
        "P109",
        "a condition nested too deeply",
        "Conditions may nest up to 64 levels of `not` and parentheses; a rule that "
        "needs more is better split.",
        "when not not not … not 许可决定时限.met",
        "when not 许可决定时限.met",
    ),
    # ------------------------------------------------------------------ N2xx names
    _c(
        "N201",
        "unknown activity",
        'Every activity a rule mentions must be declared with `activity NAME "label"`.',
        'activity 收件 "收到申请材料"\n…\n  start at 收到',
        'activity 收件 "收到申请材料"\n…\n  start at 收件',
    ),
    _c(
        "N202",
        "activity declared twice",
        "Each activity is declared once.",
        'activity 收件 "收到申请材料"\nactivity 收件 "收件"',
        'activity 收件 "收到申请材料"',
    ),
    _c(
        "N203",
        "clock declared twice",
        "Each clock has one name; give a second clock a name of its own.",
        'clock 发证时限 "颁发许可证件期限" { … }\nclock 发证时限 "送达期限" { … }',
        'clock 发证时限 "颁发许可证件期限" { … }\nclock 送达时限 "送达期限" { … }',
    ),
    _c(
        "N204",
        "lapse declared twice",
        "Lapse ids name findings; two lapses with one id would mix their findings.",
        'lapse decision_late 慢作为 "逾期作出许可决定" { … }\n'
        'lapse decision_late 慢作为 "逾期颁发许可证件" { … }',
        'lapse decision_late 慢作为 "逾期作出许可决定" { … }\n'
        'lapse certificate_late 慢作为 "逾期颁发许可证件" { … }',
    ),
    _c(
        "N205",
        "ladder declared twice",
        "Each measure ladder is declared once.",
        'ladder 效能问责 "…" { 提醒谈话 < 批评教育 }\nladder 效能问责 "…" { 通报批评 }',
        'ladder 效能问责 "…" { 提醒谈话 < 批评教育 < 通报批评 }',
    ),
    _c(
        "N206",
        "unknown clock",
        "A clock is read by its declared name.",
        "when 许可时限.breached",
        "when 许可决定时限.breached",
    ),
    _c(
        "N207",
        "unknown ladder",
        "`grade` names a ladder declared with `ladder`.",
        "grade 问责 fixed 批评教育",
        "grade 效能问责 fixed 批评教育",
    ),
    _c(
        "N208",
        "level not in the ladder",
        "Every grade names a level of the ladder it grades on.",
        "grade 效能问责 fixed 警告",
        "grade 效能问责 fixed 效能告诫",
    ),
    _c(
        "N209",
        "unknown clock property",
        "A clock can be read as started, running, met, late, overdue, breached, "
        "overdue_workdays, overdue_days, remaining_workdays, extensions, "
        "refused_extensions, promised_breached, promised_overdue_workdays, overdue_hours "
        "or restarts.",
        "when 许可决定时限.expired",
        "when 许可决定时限.breached",
    ),
    _c(
        "N210",
        "unknown unit",
        "Limits, extensions, promises and notices count `workdays` (working days), `days` "
        "(natural days), `weeks`, `months` (calendar months), `hours` (natural hours) or "
        "`workhours` (hours within office hours on working days).",
        "limit 20 weekdays",
        "limit 20 workdays",
    ),
    _c(
        "N211",
        "unknown responsibility type",
        "Language v1 knows one responsibility type: 直接责任.",
        "responsible 直接负责 actor of it",
        "responsible 直接责任 actor of it",
    ),
    _c(
        "N212",
        "level listed twice in a ladder",
        "Each level has one place on the ladder.",
        "{ 提醒谈话 < 批评教育 < 提醒谈话 }",
        "{ 提醒谈话 < 批评教育 }",
    ),
    _c(
        "N213",
        "`holder at` names something other than a deadline",
        "The holder is looked up at the end of a clock's deadline day.",
        "responsible 直接责任 holder at 许可决定时限.breached",
        "responsible 直接责任 holder at 许可决定时限.deadline",
    ),
    _c(
        "N214",
        "a clock is not a condition by itself",
        "Say what about the clock: breached, late, met, running …",
        "when 许可决定时限",
        "when 许可决定时限.breached",
    ),
    _c(
        "N215",
        "unknown calendar kind",
        "A policy counts on the `national` calendar (the State Council table, with local "
        "days on top) or on a `weekends_plus` calendar (Saturday and Sunday off, plus the "
        "listed holidays) for a foreign log.",
        "calendar weekend_plus covers 2025..2026 { … }",
        "calendar weekends_plus covers 2025..2026 { … }",
    ),
    _c(
        "N216",
        "unknown time zone",
        "A calendar's zone is an IANA time-zone name; days are counted in it.",
        'calendar weekends_plus "意大利" zone "Rome" covers 2025..2026',
        'calendar weekends_plus "意大利" zone "Europe/Rome" covers 2025..2026',
    ),
    # ------------------------------------------------------------ T3xx types, scopes
    _c(
        "T301",
        "comparison between different kinds of value",
        "Numbers compare with numbers, texts with texts, yes/no with true or false.",
        'when count 补正告知 >= "2"',
        "when count 补正告知 >= 2",
    ),
    _c(
        "T302",
        "ordering a text or a yes/no value",
        "`<`, `<=`, `>`, `>=` only compare numbers; texts and yes/no use `==` or `!=`.",
        'when case.procedure > "一般"',
        'when case.procedure != "一般"',
    ),
    _c(
        "T303",
        "a number or a text used as a condition",
        "A condition must be yes or no; compare the number or text with a value.",
        "when count 转办",
        "when count 转办 >= 2",
    ),
    _c(
        "T304",
        "a comparison needs one fact and one value",
        "Compare a fact (a clock property, a count, an attribute) with a written value.",
        "when count 转办 >= count 分派",
        "when count 转办 >= 2",
    ),
    _c(
        "T305",
        "`index` where no event is counted",
        "`index` is the position of the event in `for each ACTIVITY`; elsewhere there is none.",
        'lapse x 一次告知 "…" {\n  when index >= 2\n  …',
        'lapse x 一次告知 "…" {\n  for each 补正告知 when index >= 2\n  …',
    ),
    _c(
        "T306",
        "an event attribute where no event is in scope",
        "A bare name reads an attribute of the event in `start at … when` or "
        "`for each … when`; case attributes are written `case.NAME`.",
        'limit 20 workdays when procedure == "一般"',
        'limit 20 workdays when case.procedure == "一般"',
    ),
    # -------------------------------------------------------------- S4xx structure
    _c(
        "S401",
        "no `policy` line",
        'A policy file starts with `policy ID "title"`.',
        'version "2019-04-23" effective 2019-04-23',
        'policy licensing "行政许可办理时限"\nversion "2019-04-23" effective 2019-04-23',
    ),
    _c(
        "S402",
        "a header line written twice",
        "`policy`, `version` and `source` are each written once per file.",
        'source "行政许可法"\nsource "行政许可法实施办法"',
        'source "行政许可法；行政许可法实施办法"',
    ),
    _c(
        "S403",
        "no `version` line",
        "Every policy states its version and the day it takes effect (规则在先).",
        'policy licensing "行政许可办理时限"\nsource "…"',
        'policy licensing "行政许可办理时限"\nversion "2019-04-23" effective 2019-04-23\n'
        'source "…"',
    ),
    _c(
        "S404",
        "clock without `stop at`",
        "A clock must say which act stops it.",
        'clock 发证时限 "…" {\n  start at 作出决定\n  limit 10 workdays\n}',
        'clock 发证时限 "…" {\n  start at 作出决定\n  stop at 发证\n  limit 10 workdays\n}',
    ),
    _c(
        "S405",
        "clock without `limit`",
        "A clock must say how long the office has.",
        'clock 发证时限 "…" {\n  start at 作出决定\n  stop at 发证\n}',
        'clock 发证时限 "…" {\n  start at 作出决定\n  stop at 发证\n  limit 10 workdays\n}',
    ),
    _c(
        "S406",
        "clock reads itself",
        "A clock's start or limit cannot depend on the clock being defined.",
        'clock 发证时限 "…" {\n  start at 作出决定 when 发证时限.running\n  …',
        'clock 发证时限 "…" {\n  start at 作出决定\n  …',
    ),
    _c(
        "S407",
        "clock reads a clock declared after it",
        "Clocks are worked out in the order written, so a clock may only read clocks "
        "above it. Move the clock it reads up.",
        "clock B { start at 收件 when A.late … }\nclock A { … }",
        "clock A { … }\nclock B { start at 收件 when A.late … }",
    ),
    _c(
        "S408",
        "lapse without `responsible`",
        "Every lapse names who answers for it (问事必问人).",
        'lapse x 慢作为 "…" {\n  when 发证时限.breached\n  grade 效能问责 fixed 提醒谈话\n}',
        'lapse x 慢作为 "…" {\n  when 发证时限.breached\n  responsible 直接责任 '
        "holder at 发证时限.deadline\n  grade 效能问责 fixed 提醒谈话\n}",
    ),
    _c(
        "S409",
        "lapse without `when` or `for each`",
        "A lapse must say when it happens.",
        'lapse x 慢作为 "…" {\n  responsible 直接责任 actor of last 作出决定\n  …',
        'lapse x 慢作为 "…" {\n  when 许可决定时限.breached\n'
        "  responsible 直接责任 actor of last 作出决定\n  …",
    ),
    _c(
        "S410",
        "lapse with more than one `when` or `for each`",
        "Join conditions with `and`/`or` on one line; a `for each` carries its own `when`.",
        "  for each 补正告知\n  when index >= 2",
        "  for each 补正告知 when index >= 2",
    ),
    _c(
        "S411",
        "lapse without `grade`",
        "Every lapse says which measure it calls for.",
        'lapse x 慢作为 "…" {\n  when 发证时限.breached\n  responsible …\n}',
        'lapse x 慢作为 "…" {\n  when 发证时限.breached\n  responsible …\n'
        "  grade 效能问责 fixed 提醒谈话\n}",
    ),
    _c(
        "S412",
        "lapse graded twice",
        "A lapse has one `grade` statement.",
        "  grade 效能问责 fixed 提醒谈话\n  grade 效能问责 fixed 批评教育",
        "  grade 效能问责 fixed 批评教育",
    ),
    _c(
        "S413",
        "`actor of it` outside `for each`",
        "`it` is the event of a `for each` lapse; a case-level lapse names the act.",
        "  when 发证时限.breached\n  responsible 直接责任 actor of it",
        "  when 发证时限.breached\n  responsible 直接责任 actor of first 作出决定",
    ),
    _c(
        "S414",
        "clock without `start at`",
        "A clock must say which act starts it.",
        'clock 发证时限 "…" {\n  stop at 发证\n  limit 10 workdays\n}',
        'clock 发证时限 "…" {\n  start at 作出决定\n  stop at 发证\n  limit 10 workdays\n}',
    ),
    _c(
        "S415",
        "an amount of zero",
        "Limits, extensions and `at most … times` count from 1.",
        "limit 0 workdays",
        "limit 5 workdays",
    ),
    _c(
        "S416",
        "`rollover` on an hour limit",
        "`rollover` moves the last day of a day count off a rest day (the civil-procedure "
        "rule); an hour limit ends at an instant, not on a day.",
        "limit 2 hours rollover",
        "limit 2 workhours",
    ),
    _c(
        "S417",
        "hours and days mixed in one limit",
        "A limit counted in hours is extended and promised in hours, one counted in days "
        "in days; a notice period is always counted in days.",
        "limit 5 workdays promised 24 hours",
        "limit 5 workdays promised 3 workdays",
    ),
    _c(
        "S418",
        "a clock relies on an event deemed by itself or by a later clock",
        "A deemed event (`on breach deem A`) exists once its clock has been worked out. "
        "Clocks are worked out in the order written, so only clocks below the deeming "
        "clock may start, stop or pause at A; lapses may always use it.",
        'clock 决定时限 "…" {\n  start at 视为受理\n  …\n}\nclock 受理时限 "…" {\n'
        "  …\n  on breach deem 视为受理\n}",
        'clock 受理时限 "…" {\n  …\n  on breach deem 视为受理\n}\nclock 决定时限 "…" {\n'
        "  start at 视为受理\n  …\n}",
    ),
    _c(
        "S419",
        "a step clock that is a step of itself",
        "`step of CLOCK` names the whole-case clock a step (环节) belongs to; a clock is "
        "not a step of itself, nor of one of its own steps.",
        'clock 签收时限 "签收环节" step of 签收时限 { … }',
        'clock 签收时限 "签收环节" step of 办理时限 { … }',
    ),
    _c(
        "S420",
        "two calendars",
        "A policy counts all its clocks on one calendar; put every local day in one "
        "`calendar` block.",
        'calendar national { rest 2025-03-08 "…" }\ncalendar national { work 2025-03-09 "…" }',
        'calendar national {\n  rest 2025-03-08 "…"\n  work 2025-03-09 "…"\n}',
    ),
    _c(
        "S421",
        "a day that is both a rest day and a working day",
        "Each date of a calendar block is either `rest` (or `holiday`) or `work`.",
        'rest 2025-03-08 "地方节日"\nwork 2025-03-08 "调休上班"',
        'rest 2025-03-08 "地方节日"\nwork 2025-03-09 "调休上班"',
    ),
    _c(
        "S422",
        "office hours that cannot be",
        "Office hours are spans of a day from 00:00 to 24:00, each ending after it begins, "
        "listed in order without overlaps.",
        "office hours 09:00-12:00, 11:30-17:30",
        "office hours 09:00-12:00, 13:30-17:30",
    ),
    _c(
        "S423",
        "`covers` missing or out of place",
        "A `weekends_plus` calendar says which years its holiday list is complete for "
        "(`covers 2025..2026`; dates outside are provisional). The national calendar's "
        "years are those of the State Council table, so it takes no `covers`. Years and "
        "dates lie within 1990..2100.",
        'calendar weekends_plus "意大利" zone "Europe/Rome" { holiday 2025-04-25 "…" }',
        'calendar weekends_plus "意大利" zone "Europe/Rome" covers 2025..2025 {\n'
        '  holiday 2025-04-25 "…"\n}',
    ),
    # ---------------------------------------------------------------- G5xx grading
    _c(
        "G501",
        "grade bands overlap",
        "Each value of the measure falls in one band; bands go up without overlapping.",
        "  1..5 提醒谈话\n  5..10 批评教育",
        "  1..4 提醒谈话\n  5..10 批评教育",
    ),
    _c(
        "G502",
        "grade bands leave a gap",
        "Each band starts right after the one before it.",
        "  1..3 提醒谈话\n  5..10 批评教育",
        "  1..4 提醒谈话\n  5..10 批评教育",
    ),
    _c(
        "G503",
        "a band whose end is below its start",
        "A band `LOW..HIGH` needs LOW ≤ HIGH.",
        "  5..1 提醒谈话",
        "  1..5 提醒谈话",
    ),
    _c(
        "G504",
        "grading by something that is not a number",
        "`grade … by` takes a number: overdue_workdays, a count, extensions …",
        "grade 效能问责 by 许可决定时限.breached { … }",
        "grade 效能问责 by 许可决定时限.overdue_workdays { … }",
    ),
    _c(
        "G505",
        "`grade … by` without bands",
        "List at least one band `LOW..HIGH LEVEL`.",
        "grade 效能问责 by 许可决定时限.overdue_workdays { }",
        "grade 效能问责 by 许可决定时限.overdue_workdays {\n  1.. 提醒谈话\n}",
    ),
    # --------------------------------------------------------------- W9xx warnings
    _c(
        "W901",
        "policy without `source`",
        "Cite the law or rule the policy implements, so every finding can cite it too.",
        'policy licensing "行政许可办理时限"\nversion "2019-04-23" effective 2019-04-23',
        'policy licensing "行政许可办理时限"\nversion "2019-04-23" effective 2019-04-23\n'
        'source "《中华人民共和国行政许可法》"',
    ),
    _c(
        "W902",
        "a limit that can never apply",
        "The first limit whose `when` holds applies; a limit after one without `when` "
        "is never reached.",
        '  limit 20 workdays\n  limit 45 workdays when case.procedure == "联合办理"',
        '  limit 45 workdays when case.procedure == "联合办理"\n  limit 20 workdays',
    ),
    _c(
        "W903",
        "a larger measure gets a lighter level",
        "Bands go up the ladder as the measure grows.",
        "  1..5 批评教育\n  6.. 提醒谈话",
        "  1..5 提醒谈话\n  6.. 批评教育",
    ),
    _c(
        "W904",
        "unknown lapse category",
        "Categories group findings in reports: 慢作为, 不作为, 乱作为, 推诿, 首问失责, "
        "一次告知, 责任主体不明确. A new one is allowed but is usually a typo.",
        'lapse x 慢做为 "…" { … }',
        'lapse x 慢作为 "…" { … }',
    ),
    _c(
        "W905",
        "a promised limit that is not shorter than the statutory one",
        "A promised limit (承诺时限) warns before the statutory limit (法定时限) is "
        "breached; one as long or longer never warns first.",
        "limit 20 workdays promised 20 workdays",
        "limit 20 workdays promised 10 workdays",
    ),
    _c(
        "W906",
        "a restart that can never happen",
        "The first stopping event ends the clock, so an activity that stops the clock "
        "never restarts it.",
        "  restart at 补正完成\n  stop at 答复, 补正完成",
        "  restart at 补正完成\n  stop at 答复",
    ),
    _c(
        "W907",
        "a calendar day listed twice",
        "Each date appears once in a calendar block.",
        'rest 2025-03-08 "地方节日"\nrest 2025-03-08 "地方节日"',
        'rest 2025-03-08 "地方节日"',
    ),
    _c(
        "W908",
        "a step longer than the whole case",
        "A step clock (环节时限) usually has less time than the whole-case clock it "
        "belongs to; a longer step can never be late while the whole case is on time.",
        'clock 办理时限 "…" step of 总时限 {\n  …\n  limit 10 workdays\n}\n'
        "(总时限: limit 5 workdays)",
        'clock 办理时限 "…" step of 总时限 {\n  …\n  limit 3 workdays\n}\n'
        "(总时限: limit 5 workdays)",
    ),
    _c(
        "W909",
        "an activity nothing uses",
        "An activity that no clock, lapse, condition or `custody` line names is usually a "
        "leftover or a misspelling of the one meant. A step the platform records but no "
        "rule reads is declared on purpose (an activity outside the vocabulary is a data "
        "defect): say so with `# wenze: allow W909 reason` above the run of such "
        "activities.",
        'activity 初审 "初步审查"\nactivity 受理 "受理申请"\n…\n  start at 受理',
        "# wenze: allow W909 平台记录的环节，没有时限读取它\n"
        'activity 初审 "初步审查"\n\nactivity 受理 "受理申请"\n…\n  start at 受理',
    ),
    _c(
        "W910",
        "a pause that cannot work",
        "A suspension stops the count between its start and its end. It cannot work when "
        "its start stops the clock (the clock is over before the pause begins), when its end "
        "stops the clock (the clock never runs again, so nothing after the start counts), "
        "or when one activity both starts and ends it on the same condition (each event "
        "flips it).",
        "  suspend between 听证开始 and 作出决定\n  stop at 作出决定",
        "  suspend between 听证开始 and 听证结束\n  stop at 作出决定",
    ),
    _c(
        "W911",
        "a modifier that can never change the grade",
        "Modifiers move the grade up or down the ladder and stop at its ends: aggravating "
        "a lapse always graded at the top level, or mitigating one always at the bottom, "
        "changes nothing.",
        "  grade 效能问责 fixed 通报批评\n  aggravate 1 when repeat within 12 months",
        "  grade 效能问责 fixed 效能告诫\n  aggravate 1 when repeat within 12 months",
    ),
    _c(
        "W912",
        "two lapses that always happen together",
        "Two lapses with the same `when` or `for each` find the same cases, so every case "
        "gets two findings for one failing.",
        'lapse late 慢作为 "逾期" {\n  when 发证时限.breached\n  …\n}\n'
        'lapse slow 慢作为 "超时" {\n  when 发证时限.breached\n  …\n}',
        'lapse late 慢作为 "逾期" {\n  when 发证时限.breached\n  …\n}',
    ),
    _c(
        "W913",
        "a unit the cited law does not count in",
        "Laws count their periods differently (DOMAIN.md §1): 行政许可法 and "
        "政府信息公开条例 in working days; 行政处罚法 only 2, 3, 5 and 7 days in working "
        "days; 行政复议法 3, 5, 7 and 10 days; 信访 rules natural days except the 5-working-"
        "day objection window. A limit or extension of a clock whose `source` (or, failing "
        "that, the policy's) cites one of them must count as it does. When another rule "
        "really counts otherwise, allow it with the reason: "
        "`# wenze: allow W913 reason`.",
        'source "《中华人民共和国行政处罚法》第六十条"\n…\n  limit 90 workdays',
        'source "《中华人民共和国行政处罚法》第六十条"\n…\n  limit 90 days',
    ),
    _c(
        "W914",
        "versions of one policy that overlap",
        "`wenze check` on a folder compares the versions of each policy (same `policy` "
        "id): a version that runs `until` a day on or after the next version takes "
        "effect leaves two rule sets in force on the same days.",
        'version "2019" effective 2019-04-23 until 2021-06-30\n'
        '(next file) version "2021" effective 2021-06-01',
        'version "2019" effective 2019-04-23 until 2021-05-31\n'
        '(next file) version "2021" effective 2021-06-01',
    ),
    _c(
        "W915",
        "versions of one policy that leave a gap",
        "A version that ends (`until`) more than a day before the next takes effect leaves "
        "days without rules: conduct on those days is judged by no version.",
        'version "2019" effective 2019-04-23 until 2021-03-31\n'
        '(next file) version "2021" effective 2021-06-01',
        'version "2019" effective 2019-04-23 until 2021-05-31\n'
        '(next file) version "2021" effective 2021-06-01',
    ),
    _c(
        "W916",
        "a vocabulary that does not match the import profile",
        "With `wenze check --profile PROFILE`, the policies' activities are compared with "
        "the profile's value map: a policy activity no source value maps to can only come "
        "from an export that already uses the policy's name, and a map target no policy "
        "declares (nor `known` lists) makes every such event a data defect.",
        '[activities.map]\n"收件登记" = "收件"\n(the policy declares 收件 and 受理)',
        '[activities.map]\n"收件登记" = "收件"\n"受理登记" = "受理"',
    ),
    _c(
        "W917",
        "an allow comment without its code or reason",
        "`# wenze: allow CODE reason` silences a warning on the statement it stands on or "
        "above; the reason is required, so the next reader knows why the rule is right as "
        "written. Without a code or a reason it silences nothing.",
        "  limit 90 workdays  # wenze: allow W913",
        "  limit 90 workdays  # wenze: allow W913 地方规定第十条按工作日计算",
    ),
    _c(
        "W918",
        "an allow comment that silences nothing",
        "The code is not reported on the statement the comment covers (it moved, or was "
        "fixed), is unknown, is an error (errors cannot be allowed), or is found across "
        "files (W914–W916).",
        "  limit 20 workdays  # wenze: allow W913 按工作日计算",
        "  limit 20 workdays",
    ),
    _c(
        "W999",
        "too many diagnostics",
        "Only the first diagnostics are shown; fix these and check again.",
        "(a file with more problems than the limit)",
        "(fix the first problems, then check again)",
    ),
)

BY_CODE: dict[str, CodeInfo] = {c.code: c for c in CODES}


def severity_of(code: str) -> Literal["error", "warning"]:
    """Severity of a registered code; an unregistered code is a bug, not a user mistake."""
    return BY_CODE[code].severity


def render_markdown() -> str:
    """The text of docs/diagnostics.md."""
    out = [
        "# Diagnostics",
        "",
        "Every message `wenze check` prints starts with a code. This page lists them all,",
        "each with a short example of the mistake and of the fix. Errors stop a policy",
        "from being used; warnings do not. Codes never change meaning.",
        "",
        "<!-- Generated from dsl/codes.py; do not edit by hand. Regenerate with",
        "     WENZE_REGEN_GOLDEN=1 pytest tests/dsl/test_dsl_docs.py -->",
        "",
        "| code | severity | meaning |",
        "|---|---|---|",
    ]
    out += [f"| [{c.code}](#{c.code.lower()}) | {c.severity} | {c.title} |" for c in CODES]
    for c in CODES:
        out += [
            "",
            f"## {c.code}",
            "",
            f"**{c.title}** ({c.severity}). {c.explain}",
            "",
            "Bad:",
            "",
            "```",
            c.bad,
            "```",
            "",
            "Better:",
            "",
            "```",
            c.better,
            "```",
        ]
    return "\n".join(out) + "\n"
