"""A plan as sheets people read: by need, by volunteer, by venue, by fund, with names, titles,
times and distances rather than bare ids."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from matcher.derived import distance_m
from matcher.model import Plan, Problem
from matcher.sheets.problem_tables import yuan
from matcher.sheets.writer import Table
from matcher.summary import unproven_stages


def _local(t: datetime) -> datetime:
    # The wall-clock time where the need happens (its own offset), as Excel shows it.
    return t.replace(tzinfo=None)


def _km(m: int | None) -> float | None:
    return None if m is None else round(m / 1000, 2)


def _t(key: str, zh: str, header: list[str], rows: Sequence[Sequence[Any]],
       widths: list[int] | None = None) -> Table:
    return Table(f"{key} {zh}", f"{key}.csv", header, rows, widths)


def plan_tables(problem: Problem, plan: Plan) -> list[Table]:
    """The plan's sheets: summary, by_need, by_volunteer, by_venue, by_fund, fund_use, unmet."""
    needs = {n.id: n for n in problem.needs}
    vols = {v.id: v for v in problem.volunteers}
    venues = {u.id: u for u in problem.venues}
    funds = {f.id: f for f in problem.funds}
    cur = problem.currency

    def vname(vid: str) -> str:
        extra = vols[vid].model_extra or {}
        return str(extra.get("name") or vid)

    def dist_v(a: Any) -> int:
        return a.distance_m if a.distance_m is not None else distance_m(
            vols[a.volunteer].location, needs[a.need].location)

    def dist_u(b: Any) -> int:
        return b.distance_m if b.distance_m is not None else distance_m(
            venues[b.venue].location, needs[b.need].location)

    by_need_v: dict[str, list[str]] = defaultdict(list)
    travel: dict[str, int] = defaultdict(int)
    vol_rows: list[list[Any]] = []
    for a in plan.assignments:
        n, d = needs[a.need], dist_v(a)
        travel[a.need] += d
        by_need_v[a.need].append(f"{vname(a.volunteer)} ({a.volunteer}, {a.skill}, "
                                  f"{d / 1000:.1f} km)")
        vol_rows.append([a.volunteer, vname(a.volunteer), a.need, n.title, a.skill,
                         _local(n.start), _local(n.end),
                         round((n.end - n.start).total_seconds() / 3600, 2), _km(d), n.region])
    vol_rows.sort(key=lambda r: (r[0], r[5], r[2]))
    by_need_u: dict[str, str] = {}
    venue_rows: list[list[Any]] = []
    for b in plan.bookings:
        n, u, d = needs[b.need], venues[b.venue], dist_u(b)
        travel[b.need] += d
        by_need_u[b.need] = f"{u.name or u.id} ({u.id}, {d / 1000:.1f} km)"
        venue_rows.append([u.id, u.name, b.need, n.title, _local(n.start), _local(n.end),
                           n.venue.capacity if n.venue else None, _km(d)])
    venue_rows.sort(key=lambda r: (r[0], r[4], r[2]))
    by_need_f: dict[str, list[str]] = defaultdict(list)
    granted: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    fund_rows: list[list[Any]] = []
    for g in plan.grants:
        n, f = needs[g.need], funds[g.fund]
        granted[g.fund] += g.amount
        count[g.fund] += 1
        by_need_f[g.need].append(f"{f.donor or f.id} ({f.id}): {g.amount / 100:,.2f} {cur}")
        fund_rows.append([f.id, f.donor, g.need, n.title, n.category, n.region,
                          _local(n.start), yuan(g.amount)])
    fund_rows.sort(key=lambda r: (r[0], r[6], r[2]))
    reasons = {u.need: u.reasons for u in plan.unmet}
    met = set(plan.met)
    need_rows = []
    for n in problem.needs:
        ok = n.id in met
        need_rows.append([
            n.id, n.title, n.category, n.region, n.priority, problem.weight(n),
            _local(n.start), _local(n.end), "met 已满足" if ok else "unmet 未满足",
            "; ".join(by_need_v.get(n.id, [])) or None, by_need_u.get(n.id),
            yuan(n.funding) if n.funding else None, "; ".join(by_need_f.get(n.id, [])) or None,
            _km(travel[n.id]) if ok else None, "; ".join(reasons.get(n.id, [])) or None])
    use_rows = [[f.id, f.donor, yuan(f.amount), yuan(granted[f.id]),
                 yuan(f.amount - granted[f.id]), count[f.id],
                 _local(f.expires) if f.expires else None] for f in problem.funds]
    unmet_rows = [[u.need, needs[u.need].title, needs[u.need].priority, needs[u.need].region,
                   r] for u in plan.unmet for r in u.reasons]
    return [
        _t("summary", "概要", ["item 项目", "value 值"], summary_rows(problem, plan), [28, 90]),
        _t("by_need", "按需求",
           ["需求编号 need", "标题 title", "类别 category", "区域 region", "优先级 priority",
            "权重 weight", "开始 start", "结束 end", "状态 status", "志愿者 volunteers",
            "场地 venue", f"资金需求 funding ({cur})", "资助 grants", "路程公里 travel_km",
            "未满足原因 reasons"],
           need_rows, [10, 30, 16, 16, 8, 8, 17, 17, 12, 50, 36, 12, 40, 10, 80]),
        _t("by_volunteer", "按志愿者",
           ["志愿者编号 volunteer", "姓名 name", "需求编号 need", "标题 title", "技能 skill",
            "开始 start", "结束 end", "小时 hours", "距离公里 distance_km", "区域 region"],
           vol_rows, [12, 16, 10, 30, 16, 17, 17, 8, 10, 16]),
        _t("by_venue", "按场地",
           ["场地编号 venue", "名称 name", "需求编号 need", "标题 title", "开始 start",
            "结束 end", "所需容量 capacity", "距离公里 distance_km"],
           venue_rows, [10, 30, 10, 30, 17, 17, 10, 10]),
        _t("by_fund", "按资金",
           ["资金编号 fund", "捐赠方 donor", "需求编号 need", "标题 title", "类别 category",
            "区域 region", "开始 start", f"金额 amount ({cur})"],
           fund_rows, [10, 36, 10, 30, 16, 16, 17, 12]),
        _t("fund_use", "资金使用",
           ["资金编号 fund", "捐赠方 donor", f"金额 amount ({cur})", f"已用 granted ({cur})",
            f"剩余 left ({cur})", "资助笔数 grants", "截止 expires"],
           use_rows, [10, 36, 14, 14, 14, 10, 17]),
        _t("unmet", "未满足", ["需求编号 need", "标题 title", "优先级 priority", "区域 region",
                              "原因 reason"], unmet_rows, [10, 30, 8, 16, 120]),
    ]


def summary_rows(problem: Problem, plan: Plan) -> list[list[Any]]:
    o, b = plan.objective, plan.bound
    total_w = sum(problem.weight(n) for n in problem.needs)
    rows: list[list[Any]] = [
        ["problem 问题", problem.name],
        ["status 状态", plan.status],
        ["coverage 覆盖权重", o.coverage],
        ["bound 上界", b.coverage],
        ["all weight 总权重", total_w],
        ["needs met 已满足", f"{len(plan.met)} / {len(problem.needs)}"],
        ["fill 超额", o.fill],
        ["travel km 路程公里", round(o.travel_m / 1000, 1)],
        ["assignments 派人次", len(plan.assignments)],
        ["bookings 场地预订", len(plan.bookings)],
        [f"granted 资助 ({problem.currency})", yuan(sum(g.amount for g in plan.grants))],
    ]
    if o.fairness is not None:
        rows.append(["fairness 公平", o.fairness])
    unproven = unproven_stages(plan)
    rows.append(["unproven stages 未证明最优的阶段", ", ".join(unproven) if unproven else
                 "none 无" if plan.status == "optimal" else "unknown 未知"])
    return rows
