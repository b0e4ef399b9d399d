"""The spreadsheet layout of a problem: its sheets, their columns, and how headers are matched.

One definition serves the templates, the importer, the exporter and the README, so the
documented column names are the ones the code accepts.  Headers are bilingual: a column is
found by its English key (``lat``), its Chinese label (``纬度``) or both together
(``纬度 lat``, ``lat (纬度)``), so a coordinator can keep whichever the template gave them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Kinds of cell, parsed by `matcher.sheets.cells`.
STR, ID, FLOAT, INT, MONEY, LIST, TIME, MODE = (
    "str", "id", "float", "int", "money", "list", "time", "availability")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    kind: str
    required: bool
    en_doc: str
    zh_doc: str

    @property
    def header(self) -> str:
        """The header the templates write: Chinese label, then the English key."""
        return f"{self.zh} {self.key}"


@dataclass(frozen=True)
class Sheet:
    key: str
    zh: str
    en_doc: str
    zh_doc: str
    columns: tuple[Column, ...]
    example: tuple[object, ...] = field(default=())

    @property
    def title(self) -> str:
        """The sheet name the templates write (Excel allows at most 31 characters)."""
        return f"{self.key} {self.zh}"

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


def _c(key: str, zh: str, kind: str, required: bool, en: str, zh_doc: str) -> Column:
    return Column(key, zh, kind, required, en, zh_doc)


_LAT = _c("lat", "纬度", FLOAT, True, "latitude, -90..90", "纬度，-90 到 90")
_LON = _c("lon", "经度", FLOAT, True, "longitude, -180..180", "经度，-180 到 180")
_AVAIL_MODE = (
    "empty: the windows listed in the availability sheet, or always available when none are "
    "listed; 'always' or 'never' to say so explicitly",
    "留空：按时段表中列出的时段，未列出则始终可用；也可填 always/总是 或 never/从不")
_START = _c("start", "开始", TIME, True,
            "ISO 8601 time, e.g. 2026-12-05T08:00:00+08:00; without an offset the problem's "
            "utc_offset applies (a date-time cell too)",
            "时间，如 2026-12-05T08:00:00+08:00；不带时区时按问题表的 utc_offset"
            "（也可用日期时间单元格）")
_END = _c("end", "结束", TIME, True, "ISO 8601 time, after start", "时间，须晚于开始")

PROBLEM = Sheet(
    "problem", "问题", "one row: the problem's name and settings", "一行：问题名称和设置",
    (
        _c("name", "名称", STR, False, "the problem's name", "问题名称"),
        _c("currency", "币种", STR, False, "currency code, default CNY; amounts in the sheets "
           "are in its main unit (yuan) with at most 2 decimals",
           "币种，默认 CNY；表中金额以元为单位，最多两位小数"),
        _c("priority_weights", "优先级权重", LIST, False,
           "five positive integers for priorities 1..5, default 1, 2, 4, 8, 16",
           "优先级 1 到 5 的五个正整数权重，默认 1, 2, 4, 8, 16"),
        _c("fairness_region_depth", "公平区域层级", INT, False,
           "empty: no fairness stage; k: balance met weight over regions cut to k levels",
           "留空表示不考虑公平；填 k 表示按前 k 级区域均衡满足率"),
        _c("utc_offset", "时区", STR, False,
           "offset for times written without one, default +08:00",
           "未写时区的时间所用的时区，默认 +08:00"),
    ),
    ("Example district 示例", "CNY", "1, 2, 4, 8, 16", None, "+08:00"),
)

VOLUNTEERS = Sheet(
    "volunteers", "志愿者", "one row per volunteer", "每行一名志愿者",
    (
        _c("id", "编号", ID, True, "unique id", "唯一编号"),
        _c("name", "姓名", STR, False, "name, shown in exports", "姓名，导出时显示"),
        _LAT, _LON,
        _c("skills", "技能", LIST, False, "skills, separated by , ， or 、",
           "技能，用 , ， 或 、 分隔"),
        _c("max_hours", "最多小时", FLOAT, False, "hours they can give; empty: no limit",
           "可服务总小时数；留空表示不限"),
        _c("max_travel_km", "最远公里", FLOAT, False, "how far they travel, km; empty: 10",
           "愿意前往的最远距离（公里），留空为 10"),
        _c("availability", "可用", MODE, False, *_AVAIL_MODE),
    ),
    ("v1", "张老师", 32.689, 119.004, "teaching, first_aid", 8, 10, None),
)

VOLUNTEER_AVAILABILITY = Sheet(
    "volunteer_availability", "志愿者时段", "one row per window a volunteer is free",
    "每行一个志愿者空闲时段",
    (_c("volunteer", "志愿者编号", ID, True, "a volunteer's id", "志愿者编号"), _START, _END),
    ("v1", "2026-12-05T08:00:00+08:00", "2026-12-05T18:00:00+08:00"),
)

VENUES = Sheet(
    "venues", "场地", "one row per shared venue", "每行一个共享场地",
    (
        _c("id", "编号", ID, True, "unique id", "唯一编号"),
        _c("name", "名称", STR, False, "name", "名称"),
        _LAT, _LON,
        _c("capacity", "容量", INT, True, "people it holds, >= 1", "可容纳人数，至少 1"),
        _c("features", "设施", LIST, False, "facilities, separated by , ， or 、",
           "设施，用 , ， 或 、 分隔"),
        _c("rating", "评分", FLOAT, False, "0..5, empty: 3", "0 到 5，留空为 3"),
        _c("availability", "开放", MODE, False, *_AVAIL_MODE),
    ),
    ("u1", "Youth Home, Qianqiu St. 青年之家", 32.691, 119.010, 40, "classroom", 4.5, None),
)

VENUE_AVAILABILITY = Sheet(
    "venue_availability", "场地时段", "one row per window a venue is open", "每行一个场地开放时段",
    (_c("venue", "场地编号", ID, True, "a venue's id", "场地编号"), _START, _END),
    ("u1", "2026-12-05T08:00:00+08:00", "2026-12-05T21:00:00+08:00"),
)

FUNDS = Sheet(
    "funds", "资金", "one row per donated fund", "每行一笔捐赠资金",
    (
        _c("id", "编号", ID, True, "unique id", "唯一编号"),
        _c("donor", "捐赠方", STR, False, "who gave it", "捐赠方"),
        _c("amount", "金额", MONEY, True, "amount in yuan (at most 2 decimals), > 0",
           "金额（元，最多两位小数），大于 0"),
        _c("categories", "限定类别", LIST, False, "need categories it may pay; empty: any",
           "可资助的需求类别；留空不限"),
        _c("regions", "限定区域", LIST, False, "region codes it may pay in; empty: any",
           "可资助的区域编码；留空不限"),
        _c("expires", "截止", TIME, False, "last start time of a need it may pay; empty: none",
           "可资助需求的最晚开始时间；留空不限"),
    ),
    ("f1", "Youth Entrepreneurs Association 青年企业家协会", 99000, "student_aid", "341181",
     "2026-12-31T23:59:59+08:00"),
)

NEEDS = Sheet(
    "needs", "需求", "one row per community need", "每行一项社区需求",
    (
        _c("id", "编号", ID, True, "unique id", "唯一编号"),
        _c("title", "标题", STR, False, "title", "标题"),
        _c("category", "类别", STR, False, "category, e.g. student_aid", "类别，如 student_aid"),
        _c("region", "区域", STR, False, "region path, coarse to fine: 341181/001/003",
           "区域路径，由粗到细：341181/001/003"),
        _LAT, _LON, _START, _END,
        _c("priority", "优先级", INT, True, "1..5, 5 most urgent", "1 到 5，5 最紧急"),
        _c("funding", "资金需求", MONEY, False, "yuan it needs, empty: 0",
           "所需资金（元），留空为 0"),
        _c("weight", "权重", INT, False, "overrides the priority's weight; empty: none",
           "覆盖优先级权重；留空不覆盖"),
        _c("venue_capacity", "场地容量", INT, False,
           "empty: needs no venue; else the capacity it needs",
           "留空表示不需要场地；否则为所需容量"),
        _c("venue_features", "场地设施", LIST, False, "facilities the venue must have",
           "场地须具备的设施"),
        _c("venue_max_distance_km", "场地最远公里", FLOAT, False,
           "how far the venue may be, km; empty: 5", "场地最远距离（公里），留空为 5"),
    ),
    ("n1", "After-school class 课后课堂", "after_school_class", "341181/001/003", 32.690,
     119.007, "2026-12-05T16:30:00+08:00", "2026-12-05T18:00:00+08:00", 3, 0, None, 30,
     "classroom", 3),
)

ROLES = Sheet(
    "roles", "岗位", "one row per role of a need", "每行一个需求岗位",
    (
        _c("need", "需求编号", ID, True, "a need's id", "需求编号"),
        _c("skill", "技能", STR, True, "the skill it asks for (once per need)",
           "所需技能（每项需求中不重复）"),
        _c("count", "人数", INT, True, "volunteers wanted, >= 1", "需要人数，至少 1"),
        _c("min_count", "最少人数", INT, False, "fewest that still meet it; empty: count",
           "最少人数；留空等于人数"),
    ),
    ("n1", "teaching", 2, 1),
)

PINS = Sheet(
    "pins", "锁定", "one row per pin: a resource that must go to a need",
    "每行一个锁定：必须分配给某需求的资源",
    (
        _c("need", "需求编号", ID, True, "a need's id", "需求编号"),
        _c("volunteer", "志愿者编号", STR, False, "a volunteer's id", "志愿者编号"),
        _c("venue", "场地编号", STR, False, "a venue's id", "场地编号"),
        _c("fund", "资金编号", STR, False, "a fund's id (with amount)", "资金编号（须填金额）"),
        _c("amount", "金额", MONEY, False, "yuan, for a fund pin", "金额（元），仅资金锁定"),
    ),
    ("n1", "v1", None, None, None),
)

FORBID = Sheet(
    "forbid", "禁止", "one row per forbidden pairing", "每行一个禁止的组合",
    (
        _c("need", "需求编号", ID, True, "a need's id", "需求编号"),
        _c("volunteer", "志愿者编号", STR, False, "a volunteer's id", "志愿者编号"),
        _c("venue", "场地编号", STR, False, "a venue's id", "场地编号"),
        _c("fund", "资金编号", STR, False, "a fund's id", "资金编号"),
    ),
    ("n1", None, None, "f1"),
)

SHEETS: tuple[Sheet, ...] = (PROBLEM, VOLUNTEERS, VOLUNTEER_AVAILABILITY, VENUES,
                             VENUE_AVAILABILITY, FUNDS, NEEDS, ROLES, PINS, FORBID)

# Multi-valued cells: the ASCII comma, the Chinese comma and the enumeration comma.
LIST_SEPARATORS = re.compile(r"[,，、]")
_TOKENS = re.compile(r"[\s()（）/|:：]+")


def tokens(text: str) -> list[str]:
    """A header or sheet name cut into its words: ``纬度 (lat)`` -> ``['纬度', 'lat']``."""
    text = text.strip().lower()
    parts = [p for p in _TOKENS.split(text) if p]
    return [text, *parts] if text not in parts else parts


def match_sheet(name: str) -> Sheet | None:
    """The sheet a workbook sheet or CSV file name stands for (``volunteers``, ``志愿者``,
    ``volunteers 志愿者``, ``volunteers.csv``), or None."""
    base = re.sub(r"\.csv$", "", name.strip(), flags=re.IGNORECASE)
    for word in tokens(base):
        for sheet in SHEETS:
            if word in (sheet.key, sheet.zh):
                return sheet
    return None


def match_column(sheet: Sheet, header: str) -> Column | None:
    """The column a header names, or None."""
    for word in tokens(header):
        for col in sheet.columns:
            if word in (col.key, col.zh):
                return col
    return None
