#!/usr/bin/env python3
"""Generate the named matcher scenarios (SPEC problem documents, version 1).

Each scenario is a *synthetic reconstruction* from the published figures in
shared/FIELD.md: the sizes follow the reports, every individual volunteer, venue,
fund and need is invented by a seeded random generator.

    python scenarios/generate.py                       # all five, into scenarios/
    python scenarios/generate.py --only runzhou        # one of them
    python scenarios/generate.py --only yibin --scale 10   # scenarios/large/yibin_x10.json
    python scenarios/generate.py --stats               # print size / tightness figures

Same seed -> byte-identical files.  Needs only the standard library and numpy.

Place data
----------
County-level coordinates are copied from the ``adcodes.csv`` table bundled with the
PyPI package ``cpca`` 0.5.5 (MIT licence), so no package is needed at run time.
That table has no town level: the town / street centres of Tianchang, Chengyang,
Runzhou and Zhecheng below are approximate real centres written from general
knowledge (good to a few km), and their 3-digit town codes are our own numbering,
not the official 9-digit codes.  Yibin's towns (and those of the other Sichuan
counties used by the scale series) are synthetic points scattered around the real
county seat.  Communities / villages are synthetic points around their town.
"""

# ruff: noqa: B007, E501, F841, SIM108, UP031

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from datetime import datetime, timedelta, timezone

import numpy as np

TZ = timezone(timedelta(hours=8))
HOUR = 3600
DAY = 86400
EARTH_R = 6371.0088
DEFAULT_SEED = 20240521
HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = ["tianchang", "chengyang", "runzhou", "zhecheng", "yibin"]

# ---------------------------------------------------------------------------
# place tables
# ---------------------------------------------------------------------------

# Tianchang, Anhui (341181): 16 towns/streets + 1 park (approximate centres).
TIANCHANG = [
    ("Tianchang St.", 32.689, 119.004, 3.0, True),
    ("Qianqiu St.", 32.702, 119.022, 2.0, True),
    ("Guangling St.", 32.670, 118.985, 2.0, True),
    ("Tongcheng Town", 32.785, 119.135, 1.2, False),
    ("Qinlan Town", 32.560, 119.110, 1.2, False),
    ("Datong Town", 32.620, 118.865, 1.0, False),
    ("Yangcun Town", 32.805, 118.960, 1.0, False),
    ("Shiliang Town", 32.860, 118.870, 0.9, False),
    ("Chajian Town", 32.770, 118.790, 1.0, False),
    ("Xinjie Town", 32.635, 119.160, 0.9, False),
    ("Yongfeng Town", 32.745, 118.860, 0.9, False),
    ("Renheji Town", 32.685, 119.170, 0.8, False),
    ("Yeshan Town", 32.505, 118.905, 0.8, False),
    ("Zhengji Town", 32.580, 118.815, 0.8, False),
    ("Zhangpu Town", 32.605, 119.060, 0.9, False),
    ("Jinji Town", 32.575, 118.740, 0.8, False),
    ("Tianchang Economic Development Zone", 32.655, 119.040, 1.0, True),
]

# Chengyang, Qingdao (370214): 8 streets, with number of communities (total 120).
CHENGYANG = [
    ("Chengyang St.", 36.307, 120.396, 22),
    ("Liuting St.", 36.268, 120.380, 16),
    ("Xiazhuang St.", 36.258, 120.452, 18),
    ("Xifuzhen St.", 36.372, 120.498, 14),
    ("Jihongtan St.", 36.380, 120.282, 16),
    ("Shangma St.", 36.352, 120.225, 12),
    ("Hongdao St.", 36.220, 120.255, 12),
    ("Hetao St.", 36.272, 120.182, 10),
]

# Runzhou, Zhenjiang (321111): 8 streets.
RUNZHOU = [
    ("Hepinglu St.", 32.205, 119.432),
    ("Baotalu St.", 32.198, 119.412),
    ("Jinshan St.", 32.222, 119.408),
    ("Qilidian St.", 32.188, 119.382),
    ("Jiangqiao St.", 32.160, 119.360),
    ("Guantangqiao St.", 32.178, 119.400),
    ("Nanshan St.", 32.168, 119.428),
    ("Weigang St.", 32.148, 119.305),
]

# Zhecheng, Henan (411424): 24 towns / townships / streets (approximate centres).
ZHECHENG = [
    ("Chengguan Town", 34.091, 115.306, True),
    ("Pudong St.", 34.080, 115.320, True),
    ("Changjiang New Town St.", 34.070, 115.290, True),
    ("Chunshui St.", 34.102, 115.285, True),
    ("Chenqingji Town", 34.190, 115.190, False),
    ("Qitai Town", 34.230, 115.370, False),
    ("Huxiang Town", 34.010, 115.410, False),
    ("Cisheng Town", 34.180, 115.290, False),
    ("Anping Town", 33.980, 115.290, False),
    ("Yuanxiang Town", 34.160, 115.440, False),
    ("Gangwang Town", 34.030, 115.180, False),
    ("Bogang Township", 34.130, 115.160, False),
    ("Hong'en Township", 34.050, 115.230, False),
    ("Dawu Township", 34.250, 115.260, False),
    ("Maji Township", 34.140, 115.370, False),
    ("Niucheng Township", 33.950, 115.370, False),
    ("Huiji Township", 34.230, 115.160, False),
    ("Laowangji Township", 34.280, 115.320, False),
    ("Zhangqiao Town", 33.930, 115.230, False),
    ("Shenqiao Township", 34.110, 115.480, False),
    ("Liyuan Township", 34.010, 115.340, False),
    ("Huangji Township", 34.060, 115.500, False),
    ("Shaoyuan Township", 33.990, 115.460, False),
    ("Liangzhuang Township", 34.200, 115.480, False),
]

# Sichuan county-level units from cpca 0.5.5 adcodes.csv (adcode lat lon name),
# sorted by distance from Yibin's seat.  Yibin's ten come first in YIBIN_COUNTIES.
# 511521 (Yibin County) became Xuzhou District, 511504, in 2018: we use the new code.
SICHUAN = """\
511502 28.7657 104.6200 翠屏区
511521 28.6900 104.5332 宜宾县
511529 28.8285 104.3460 屏山县
511524 28.5822 104.9212 长宁县
511503 28.8464 104.9692 南溪区
511526 28.4386 104.7092 珙县
511525 28.4362 104.5177 高县
511523 28.7239 105.0669 江安县
510322 29.1814 104.9750 富顺县
510311 29.2726 104.8741 沿滩区
511527 28.1678 104.5120 筠连县
510303 29.3453 104.7153 贡井区
510302 29.3374 104.7772 自流井区
510304 29.3637 104.7740 大安区
510503 28.7731 105.3715 纳溪区
511129 28.9566 103.9023 沐川县
511528 28.3036 105.2363 兴文县
510502 28.8788 105.4350 江阳区
510504 28.9133 105.4378 龙马潭区
510321 29.4455 104.4175 荣县
511123 29.2082 103.9493 犍为县
510521 29.1515 105.3819 泸县
511024 29.5274 104.6689 威远县
511028 29.3395 105.2876 隆昌县
511002 29.5871 105.0676 市中区
510524 28.1558 105.4448 叙永县
511011 29.5928 105.0755 东兴区
511133 28.8355 103.5463 马边彝族自治县
511112 29.4069 103.8180 五通桥区
511025 29.7641 104.8519 资中县
511124 29.6513 104.0697 井研县
510522 28.8112 105.8310 合江县
513437 28.2627 103.5717 雷波县
511102 29.5554 103.7613 市中区
511111 29.4131 103.5500 沙湾区
510525 28.0388 105.8126 古蔺县
511425 29.8314 103.8467 青神县
511132 29.2304 103.2620 峨边彝族自治县
511421 29.9956 104.1340 仁寿县
511181 29.6012 103.4845 峨眉山市
512002 30.1082 104.6771 雁江区
511126 29.7376 103.5717 夹江县
513436 28.3286 103.1322 美姑县
511113 29.2443 103.0786 金口河区
511402 30.0423 103.8319 东坡区
512021 30.1031 105.3553 安岳县
512022 30.2761 105.0202 乐至县
511403 30.1931 103.8729 彭山区
511423 29.9049 103.3729 洪雅县
511424 30.0152 103.5128 丹棱县
513430 27.6969 103.2488 金阳县
513435 28.9592 102.7715 甘洛县
510185 30.4108 104.5468 简阳市
513431 28.0153 102.8403 昭觉县
510904 30.3554 105.4563 安居区
510131 30.1968 103.5065 蒲江县
510132 30.4103 103.8113 新津县
510112 30.5565 104.2746 龙泉驿区
511823 29.3472 102.6455 汉源县
513434 28.6398 102.5077 越西县
511803 30.0700 103.1092 名山区
511802 30.0055 103.0330 雨城区
511822 29.7929 102.8467 荥经县
510104 30.5982 104.1170 锦江区
510923 30.5944 105.2369 大英县
513429 27.7061 102.8121 布拖县
510116 30.5744 103.9236 双流区
510903 30.5255 105.5683 船山区
510183 30.4103 103.4642 邛崃市
510107 30.6419 104.0432 武侯区
510108 30.6600 104.1015 成华区
510105 30.6739 104.0614 青羊区
513432 28.3067 102.4125 喜德县
510106 30.6914 104.0522 金牛区
511826 30.1423 102.9324 芦山县
510115 30.6822 103.8566 温江区
511824 29.2279 102.3595 石棉县
510184 30.6301 103.6730 崇州市
510129 30.5723 103.5119 大邑县
511825 30.0667 102.7583 天全县
510114 30.8235 104.1587 新都区
510121 30.8620 104.4120 金堂县
510124 30.7959 103.9011 郫县
510113 30.8786 104.2509 青白江区
511622 30.3488 106.2958 武胜县
513433 28.5497 102.1770 冕宁县
510921 30.7576 105.7076 蓬溪县
510922 30.8711 105.3884 射洪县
510681 30.9771 104.2824 广汉市
510623 31.0331 104.6788 中江县
511827 30.3764 102.8154 宝兴县
513428 27.3764 102.5409 普格县
510182 30.9902 103.9580 彭州市
511304 30.7588 106.0719 嘉陵区
513427 27.0612 102.7517 宁南县
510722 31.0960 105.0946 三台县
511621 30.5379 106.4401 岳池县
510603 31.1426 104.4170 旌阳区
510181 30.9888 103.6472 都江堰市
511303 30.7816 106.1188 高坪区
511302 30.7968 106.0924 顺庆区
513322 29.9142 102.2346 泸定县
510682 31.1268 104.1675 什邡市
511602 30.4739 106.6417 广安区
511681 30.3902 106.7831 华蓥市
511325 30.9957 105.9009 西充县
510723 31.2084 105.3895 盐亭县
513424 27.4028 102.1757 德昌县
511623 30.3348 106.9304 邻水县
510626 31.3170 104.5102 罗江县
510683 31.3381 104.2207 绵竹市
511603 30.4958 106.8861 前锋区
510703 31.4551 104.7569 涪城区
510704 31.4738 104.7664 游仙区
511323 31.0291 106.4121 蓬安县
513324 29.0003 101.5073 九龙县
510705 31.5349 104.5672 安州区
513426 26.6347 102.5780 会东县
511321 31.3475 106.0366 南部县
510726 31.6172 104.4680 北川羌族自治县
511322 31.0766 106.5655 营山县
513221 31.4769 103.5902 汶川县
510421 26.8977 102.1129 米易县
511324 31.2716 106.3030 仪陇县
511725 30.8366 106.9730 渠县
510725 31.6427 105.1708 梓潼县
513425 26.6550 102.2447 会理县
513222 31.4352 103.1647 理县
511724 30.7364 107.2048 大竹县
513227 30.9958 102.3630 小金县
513223 31.6815 103.8534 茂县
510781 31.7780 104.7459 江油市
511381 31.5584 106.0050 阆中市
513423 27.4226 101.5092 盐源县
513422 27.9288 101.2802 木里藏族自治县
510824 31.7317 105.9348 苍溪县
510422 26.6832 101.8551 盐边县
513323 30.8786 101.8904 丹巴县
510402 26.5465 101.7041 东区
510411 26.4978 101.7385 仁和区
510403 26.5978 101.6306 西区
513325 30.0315 101.0144 雅江县
511703 31.1962 107.5117 达川区
511903 31.7872 106.6544 恩阳区
511702 31.2147 107.5049 通川区
513226 31.4763 102.0638 金川县
511923 31.5609 107.1040 平昌县
513228 32.0619 102.9901 黑水县
511902 31.8515 106.7689 巴州区
510823 32.2877 105.5248 剑阁县
510727 32.4097 104.5556 平武县
511723 31.0830 107.8687 开江县
511722 31.3538 107.7272 宣汉县
510811 32.3233 105.9628 昭化区
510821 32.2291 106.2900 旺苍县
513326 30.9795 101.1252 道孚县
513337 29.0370 100.2984 稻城县
510802 32.4338 105.8453 利州区
510822 32.5755 105.2388 青川县
511921 31.9117 107.2450 通江县
513224 32.6553 103.6047 松潘县
513334 29.9960 100.2698 理塘县
510812 32.6513 105.8826 朝天区
511922 32.3466 106.8287 南江县
513336 28.9312 99.7984 乡城县
513327 31.3918 100.6764 炉霍县
513329 30.9392 100.3114 新龙县
513233 32.7909 102.5444 红原县
511781 32.0816 108.0347 万源市
513225 33.2521 104.2438 九寨沟县
513338 28.7130 99.2863 得荣县
513230 32.2658 100.9785 壤塘县
513231 32.9025 101.7067 阿坝县
513328 31.6229 99.9927 甘孜县
513335 30.0047 99.1107 巴塘县
513232 33.5782 102.9678 若尔盖县
513333 32.2681 100.3327 色达县
513331 31.2099 98.8242 白玉县
513330 31.8061 98.5809 德格县
513332 32.9790 98.1029 石渠县
"""

# code, English name, population weight, number of towns (synthetic town points)
YIBIN_COUNTIES = [
    ("511502", "Cuiping District", 9.0, 16, 12.0),
    ("511503", "Nanxi District", 3.3, 12, 16.0),
    ("511521", "Xuzhou District", 7.0, 18, 22.0),
    ("511523", "Jiang'an County", 4.0, 14, 18.0),
    ("511524", "Changning County", 3.3, 14, 18.0),
    ("511525", "Gao County", 4.2, 16, 18.0),
    ("511526", "Gong County", 3.7, 14, 18.0),
    ("511527", "Junlian County", 3.2, 12, 16.0),
    ("511528", "Xingwen County", 3.7, 14, 20.0),
    ("511529", "Pingshan County", 2.3, 12, 22.0),
]
CODE_FIX = {"511521": "511504"}


def sichuan_table():
    out = []
    for line in SICHUAN.strip().splitlines():
        code, lat, lon, name = line.split(" ", 3)
        out.append((code, float(lat), float(lon), name))
    return out


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def epoch(y, m, d, hh=0, mm=0):
    return int(datetime(y, m, d, hh, mm, tzinfo=TZ).timestamp())


_ISO_CACHE: dict[int, str] = {}


def iso(t):
    s = _ISO_CACHE.get(t)
    if s is None:
        s = datetime.fromtimestamp(t, TZ).isoformat()
        if len(_ISO_CACHE) < 2_000_000:
            _ISO_CACHE[t] = s
    return s


def hav_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_R * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def dist_m(lat1, lon1, lat2, lon2):
    return int(round(1000 * float(hav_km(lat1, lon1, lat2, lon2))))


def within(lat1, lon1, lat2, lon2, limit_km):
    return dist_m(lat1, lon1, lat2, lon2) <= round(1000 * limit_km)


def fits(windows, s, e):
    if windows is None:
        return True
    return any(ws <= s and e <= we for ws, we in windows)


def region_in(region, r):
    return region == r or region.startswith(r + "/")


def yuan(x):
    """CNY -> fen (int)."""
    return int(round(x * 100))


def weekly(week0, n_weeks, slots, lo=None, hi=None):
    """Windows from a weekly pattern.  week0: epoch of a Monday 00:00;
    slots: (weekday 0..6, start minute, end minute) with end possibly past midnight."""
    out = []
    for w in range(n_weeks):
        base = week0 + w * 7 * DAY
        for wd, sm, em in slots:
            s = base + wd * DAY + sm * 60
            e = base + wd * DAY + em * 60
            if (lo is None or s >= lo) and (hi is None or e <= hi):
                out.append((s, e))
    out.sort()
    return out


def hm(h, m=0):
    return h * 60 + m


class Rng:
    """Thin wrapper over numpy's Generator returning plain Python values."""

    def __init__(self, seq):
        self.g = np.random.default_rng(seq)

    def random(self):
        return float(self.g.random())

    def chance(self, p):
        return self.g.random() < p

    def int(self, lo, hi):  # inclusive
        return int(self.g.integers(lo, hi + 1))

    def choice(self, seq, p=None):
        if p is not None:
            p = np.asarray(p, dtype=float)
            p = p / p.sum()
        return seq[int(self.g.choice(len(seq), p=p))]

    def sample(self, seq, k):
        idx = self.g.choice(len(seq), size=min(k, len(seq)), replace=False)
        return [seq[int(i)] for i in sorted(idx)]

    def normal(self, sd):
        return float(self.g.normal(0.0, sd))

    def near(self, lat, lon, sd_km, max_km=None):
        while True:
            dx, dy = self.normal(sd_km), self.normal(sd_km)
            if max_km is None or math.hypot(dx, dy) <= max_km:
                break
        return (
            round(lat + dy / 111.195, 5),
            round(lon + dx / (111.195 * math.cos(math.radians(lat))), 5),
        )

    def disc(self, lat, lon, r_km, r0_km=0.0):
        ang = 2 * math.pi * self.random()
        r = math.sqrt(r0_km**2 + (r_km**2 - r0_km**2) * self.random())
        dx, dy = r * math.cos(ang), r * math.sin(ang)
        return (
            round(lat + dy / 111.195, 5),
            round(lon + dx / (111.195 * math.cos(math.radians(lat))), 5),
        )


class Place:
    __slots__ = ("code", "name", "lat", "lon", "weight", "urban", "subs")

    def __init__(self, code, name, lat, lon, weight=1.0, urban=False):
        self.code, self.name, self.lat, self.lon = code, name, lat, lon
        self.weight, self.urban, self.subs = weight, urban, []


def add_communities(rng, town, n, sd_km):
    for i in range(n):
        lat, lon = rng.near(town.lat, town.lon, sd_km, 3 * sd_km)
        town.subs.append(
            Place(f"{town.code}/{i + 1:03d}", f"{town.name} community {i + 1}", lat, lon)
        )


def skills_from(rng, probs, fallback="general_service"):
    out = [s for s, p in probs if rng.chance(p)]
    return out or [fallback]


# ---------------------------------------------------------------------------
# the document builder
# ---------------------------------------------------------------------------


class Builder:
    def __init__(self, name, county):
        self.name = name
        self.county = county
        self.volunteers = []  # shadow dicts with raw values
        self.venues = []
        self.funds = []
        self.needs = []
        self.pins = []
        self.forbid = []
        self.objective = {"priority_weights": [1, 2, 4, 8, 16], "fairness": None}

    # -- entities (kept raw: epoch ints, python sets) --------------------------------
    def volunteer(self, lat, lon, skills, windows, max_hours, travel, tag=""):
        v = {
            "id": f"v{len(self.volunteers) + 1}",
            "lat": lat,
            "lon": lon,
            "skills": list(dict.fromkeys(skills)),
            "windows": windows,
            "max_hours": max_hours,
            "travel": travel,
            "tag": tag,
        }
        self.volunteers.append(v)
        return v

    def venue(self, name, lat, lon, capacity, features, windows, rating=None, tag=""):
        u = {
            "id": f"u{len(self.venues) + 1}",
            "name": name,
            "lat": lat,
            "lon": lon,
            "capacity": int(capacity),
            "features": list(dict.fromkeys(features)),
            "windows": windows,
            "rating": rating,
            "tag": tag,
        }
        self.venues.append(u)
        return u

    def fund(self, donor, amount, categories=(), regions=(), expires=None):
        f = {
            "id": f"f{len(self.funds) + 1}",
            "donor": donor,
            "amount": int(amount),
            "categories": list(categories),
            "regions": list(regions),
            "expires": expires,
        }
        assert f["amount"] > 0
        self.funds.append(f)
        return f

    def need(
        self,
        title,
        category,
        region,
        lat,
        lon,
        start,
        end,
        priority,
        roles=(),
        venue=None,
        funding=0,
    ):
        roles = [(s, int(c), int(min(m, c))) for s, c, m in roles if c > 0]
        skills = [r[0] for r in roles]
        assert len(set(skills)) == len(skills), (title, skills)
        assert end > start and 1 <= priority <= 5
        assert roles or funding > 0 or venue, title
        n = {
            "id": f"n{len(self.needs) + 1}",
            "title": title,
            "category": category,
            "region": region,
            "lat": lat,
            "lon": lon,
            "start": start,
            "end": end,
            "priority": int(priority),
            "roles": roles,
            "venue": venue,
            "funding": int(funding),
        }
        self.needs.append(n)
        return n

    # -- checks used to build feasible pins and for --stats --------------------------
    @staticmethod
    def vol_ok(v, n, skill):
        return (
            skill in v["skills"]
            and within(v["lat"], v["lon"], n["lat"], n["lon"], v["travel"])
            and fits(v["windows"], n["start"], n["end"])
            and (v["max_hours"] is None or n["end"] - n["start"] <= v["max_hours"] * HOUR)
        )

    def staffable(self, n, spare=1):
        """Every role has min_count + `spare` volunteers who could serve it (a pinned need
        must stay meetable after the forbids drawn later)."""
        for skill, _count, m in n["roles"]:
            ok = 0
            for v in self.volunteers:
                if self.vol_ok(v, n, skill):
                    ok += 1
                    if ok >= m + spare:
                        break
            if ok < m + spare:
                return False
        return True

    @staticmethod
    def venue_ok(u, n):
        r = n["venue"]
        return (
            r is not None
            and set(r["features"]) <= set(u["features"])
            and u["capacity"] >= r["capacity"]
            and within(u["lat"], u["lon"], n["lat"], n["lon"], r["max_distance_km"])
            and fits(u["windows"], n["start"], n["end"])
        )

    @staticmethod
    def fund_ok(f, n):
        return (
            (not f["categories"] or n["category"] in f["categories"])
            and (not f["regions"] or any(region_in(n["region"], r) for r in f["regions"]))
            and (f["expires"] is None or n["start"] <= f["expires"])
        )

    def pin_volunteer(self, n, v):
        self.pins.append({"need": n["id"], "volunteer": v["id"]})

    def pin_venue(self, n, u):
        self.pins.append({"need": n["id"], "venue": u["id"]})

    def pin_fund(self, n, f, amount):
        self.pins.append({"need": n["id"], "fund": f["id"], "amount": int(amount)})

    def forbid_(self, n, kind, obj):
        self.forbid.append({"need": n["id"], kind: obj["id"]})

    # -- output ----------------------------------------------------------------------
    @staticmethod
    def _loc(x):
        return {"lat": x["lat"], "lon": x["lon"]}

    @staticmethod
    def _win(ws):
        return [{"start": iso(s), "end": iso(e)} for s, e in ws]

    def v_json(self, v):
        d = {"id": v["id"], "location": self._loc(v), "skills": v["skills"]}
        if v["windows"] is not None:
            d["availability"] = self._win(v["windows"])
        if v["max_hours"] is not None:
            d["max_hours"] = v["max_hours"]
        d["max_travel_km"] = v["travel"]
        return d

    def u_json(self, u):
        d = {
            "id": u["id"],
            "name": u["name"],
            "location": self._loc(u),
            "capacity": u["capacity"],
            "features": u["features"],
        }
        if u["windows"] is not None:
            d["availability"] = self._win(u["windows"])
        if u["rating"] is not None:
            d["rating"] = u["rating"]
        return d

    def f_json(self, f):
        d = {"id": f["id"], "donor": f["donor"], "amount": f["amount"]}
        if f["categories"]:
            d["categories"] = f["categories"]
        if f["regions"]:
            d["regions"] = f["regions"]
        if f["expires"] is not None:
            d["expires"] = iso(f["expires"])
        return d

    def n_json(self, n):
        d = {
            "id": n["id"],
            "title": n["title"],
            "category": n["category"],
            "region": n["region"],
            "location": self._loc(n),
            "start": iso(n["start"]),
            "end": iso(n["end"]),
            "priority": n["priority"],
        }
        roles = []
        for s, c, m in n["roles"]:
            r = {"skill": s, "count": c}
            if m < c:
                r["min_count"] = m
            roles.append(r)
        d["roles"] = roles
        if n["venue"] is not None:
            d["venue"] = n["venue"]
        if n["funding"]:
            d["funding"] = n["funding"]
        return d

    def write(self, path):
        dump = lambda x: json.dumps(x, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write('{"version":1,"name":%s,"currency":"CNY",\n' % dump(self.name))
            for key, items, conv in (
                ("volunteers", self.volunteers, self.v_json),
                ("venues", self.venues, self.u_json),
                ("funds", self.funds, self.f_json),
                ("needs", self.needs, self.n_json),
                ("pins", self.pins, None),
                ("forbid", self.forbid, None),
            ):
                fh.write('"%s":[' % key)
                for i, x in enumerate(items):
                    fh.write(("\n" if i == 0 else ",\n") + dump(conv(x) if conv else x))
                fh.write("\n],\n" if items else "],\n")
            fh.write('"objective":%s}\n' % dump(self.objective))
        os.replace(tmp, path)

    # -- figures ---------------------------------------------------------------------
    def summary(self):
        cats = {}
        for n in self.needs:
            cats[n["category"]] = cats.get(n["category"], 0) + 1
        return {
            "volunteers": len(self.volunteers),
            "venues": len(self.venues),
            "funds": len(self.funds),
            "needs": len(self.needs),
            "pins": len(self.pins),
            "forbids": len(self.forbid),
            "categories": dict(sorted(cats.items())),
        }


# ---------------------------------------------------------------------------
# shared generators
# ---------------------------------------------------------------------------

SLOT_KINDS = {
    "wd_am": ((0, 1, 2, 3, 4), hm(9)),
    "wd_pm": ((0, 1, 2, 3, 4), hm(14, 30)),
    "wd_after": ((0, 1, 2, 3, 4), hm(16, 30)),
    "wd_eve": ((0, 1, 2, 3, 4), hm(19)),
    "sat_am": ((5,), hm(9)),
    "sat_pm": ((5,), hm(14, 30)),
    "sun_am": ((6,), hm(9)),
    "sun_pm": ((6,), hm(14, 30)),
}


def when(rng, week0, weeks, kinds, dur_min):
    """A session start/end: week index drawn from `weeks` (a list), slot from `kinds`."""
    w = rng.choice(weeks)
    days, start = SLOT_KINDS[rng.choice(kinds)]
    wd = rng.choice(days)
    s = week0 + (w * 7 + wd) * DAY + start * 60
    return s, s + dur_min * 60


def make_roles(rng, spec):
    """spec: (skill, cmin, cmax, flexible) -> (skill, count, min_count)."""
    out = []
    for skill, cmin, cmax, flex in spec:
        c = rng.int(cmin, cmax)
        m = c
        if flex and c > 1:
            m = max(1, int(math.ceil(c * (0.4 + 0.4 * rng.random()))))
            m = min(m, c - 1) if rng.chance(0.8) else c
        out.append((skill, c, m))
    return out


def host_venue(b, rng, features, cap, lat, lon, max_km=None):
    """Nearest venue (to lat, lon) having the features and capacity, or None."""
    best, bd = None, None
    for u in b.venues:
        if u["capacity"] >= cap and set(features) <= set(u["features"]):
            d = dist_m(lat, lon, u["lat"], u["lon"])
            if (max_km is None or d <= max_km * 1000) and (bd is None or d < bd):
                best, bd = u, d
    return best


def venue_req(features, cap, maxd):
    return {"capacity": int(cap), "features": list(features), "max_distance_km": maxd}


def pick_town(rng, towns):
    return rng.choice(towns, p=[t.weight for t in towns])


def rating(rng):
    return rng.choice([3.0, 3.5, 4.0, 4.5, 5.0], p=[2, 3, 4, 3, 1.5])


def project_sessions(b, rng, towns, week0, weeks, projects, budget=None):
    """Sessions of volunteer projects, each held in some towns near a suitable venue."""
    out = []
    for title, cat, rspec, vspec, dur, kinds, nsess, ntowns, fund_rng, prio in projects:
        chosen = rng.sample(towns, rng.int(*ntowns))
        for t in chosen:
            for _ in range(rng.int(*nsess)):
                sub = rng.choice(t.subs) if t.subs else t
                lat, lon = sub.lat, sub.lon
                vreq = None
                if vspec is not None:
                    feats, cmin, cmax, maxd = vspec
                    cap = rng.int(cmin, cmax)
                    h = host_venue(b, rng, feats, cap, t.lat, t.lon)
                    if h is None:
                        cap = cmin
                        h = host_venue(b, rng, feats, cap, t.lat, t.lon)
                    if h is not None:
                        lat, lon = rng.near(h["lat"], h["lon"], 0.6, 1.5)
                        d = dist_m(lat, lon, h["lat"], h["lon"]) / 1000
                        maxd = max(maxd, math.ceil(d + 0.5))
                    vreq = venue_req(feats, cap, maxd)
                s, e = when(rng, week0, weeks, kinds, dur)
                funding = (
                    yuan(10 * rng.int(fund_rng[0] // 10, fund_rng[1] // 10)) if fund_rng else 0
                )
                n = b.need(
                    title,
                    cat,
                    sub.code,
                    lat,
                    lon,
                    s,
                    e,
                    rng.int(*prio),
                    make_roles(rng, rspec),
                    vreq,
                    funding,
                )
                out.append(n)
    return out


def choose_pins(b, rng, needs, k, skill, used, max_pins_per_need=1):
    """Pin up to k (need, volunteer) pairs that are individually feasible, with
    distinct volunteers and needs whose other roles have ample candidates."""
    made = 0
    for n in rng.sample(needs, min(len(needs), 6 * k + 20)):
        if made >= k:
            break
        if skill not in [r[0] for r in n["roles"]] or n["venue"] is not None:
            continue
        cands = [v for v in b.volunteers if v["id"] not in used and b.vol_ok(v, n, skill)]
        if len(cands) < 2:
            continue
        ok = True
        for s, c, m in n["roles"]:
            if s != skill and sum(1 for v in b.volunteers if b.vol_ok(v, n, s)) < 3 * m:
                ok = False
        if not ok:
            continue
        v = cands[0]
        used.add(v["id"])
        b.pin_volunteer(n, v)
        made += 1
    return made


# ---------------------------------------------------------------------------
# Tianchang: county-level city, autumn 2022 (Aug - Dec)
# ---------------------------------------------------------------------------


def tianchang(rng):
    b = Builder("tianchang", "341181")
    week0, nw = epoch(2022, 8, 1), 22  # Monday 2022-08-01 .. Sunday 2023-01-01
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    end_all = week0 + nw * 7 * DAY
    towns = []
    for i, (name, lat, lon, w, urban) in enumerate(TIANCHANG):
        t = Place(f"341181/{i + 1:03d}", name, lat, lon, w, urban)
        add_communities(rng, t, rng.int(8, 12) if urban else rng.int(10, 16), 1.2 if urban else 3.0)
        towns.append(t)
    rural = [t for t in towns if not t.urban]

    def home():
        t = pick_town(rng, towns)
        return rng.near(t.lat, t.lon, 1.5 if t.urban else 2.5, 8), t

    # volunteers: 305 regular, 68 project social workers, 148 youth-affairs social
    # workers, 82 college students serving as part-time deputy secretaries.
    for _ in range(305):
        (lat, lon), _t = home()
        sk = skills_from(
            rng,
            [
                ("general_service", 0.75),
                ("teaching", 0.3),
                ("first_aid", 0.15),
                ("photography", 0.1),
                ("sports_coaching", 0.12),
                ("arts", 0.1),
                ("logistics", 0.2),
                ("event_hosting", 0.08),
                ("livestream", 0.05),
                ("legal_aid", 0.03),
                ("medical", 0.04),
            ],
        )
        r = rng.random()
        days = [5, 6] if r < 0.5 else ([5] if r < 0.75 else [6])
        slots = [(d, hm(8, 30), hm(17, 30)) for d in days]
        for d in rng.sample([0, 1, 2, 3, 4], rng.int(0, 2)):
            slots.append((d, hm(18), hm(21)))
        if rng.chance(0.06):
            win = None
        else:
            win = weekly(week0, nw, slots)
        b.volunteer(
            lat, lon, sk, win, rng.int(2, 12) * 5, rng.choice([3, 5, 5, 8, 10, 10, 15]), "regular"
        )
    for tag, n, probs, ndays, mh, trav in (
        (
            "project_social_worker",
            68,
            [
                ("counselling", 0.2),
                ("teaching", 0.4),
                ("legal_aid", 0.1),
                ("general_service", 0.5),
                ("event_hosting", 0.2),
            ],
            (3, 5),
            (40, 120),
            [10, 15, 20],
        ),
        (
            "youth_affairs_social_worker",
            148,
            [
                ("counselling", 0.06),
                ("legal_aid", 0.08),
                ("teaching", 0.3),
                ("event_hosting", 0.25),
                ("general_service", 0.6),
                ("photography", 0.1),
            ],
            (2, 4),
            (30, 80),
            [5, 8, 10, 15],
        ),
    ):
        for _ in range(n):
            (lat, lon), _t = home()
            sk = skills_from(rng, probs)
            slots = [
                (d, hm(8, 30), hm(17, 30)) for d in rng.sample([0, 1, 2, 3, 4], rng.int(*ndays))
            ]
            if rng.chance(0.3):
                slots.append((5, hm(8, 30), hm(12)))
            b.volunteer(
                lat,
                lon,
                sk,
                weekly(week0, nw, slots),
                rng.int(mh[0] // 5, mh[1] // 5) * 5,
                rng.choice(trav),
                tag,
            )
    for _ in range(82):
        (lat, lon), _t = home()
        sk = skills_from(
            rng,
            [
                ("teaching", 0.7),
                ("arts", 0.2),
                ("sports_coaching", 0.2),
                ("photography", 0.2),
                ("livestream", 0.2),
                ("general_service", 0.5),
            ],
        )
        win = [(epoch(2022, 8, d, 8), epoch(2022, 8, d, 21)) for d in range(1, 32)]
        win += [(epoch(2022, 10, d, 8), epoch(2022, 10, d, 21)) for d in range(1, 8)]
        b.volunteer(lat, lon, sk, win, rng.int(6, 16) * 5, rng.choice([5, 8, 10]), "college_deputy")

    # venues: 22 youth homes (one per town/park + 5 city sites), 5 enterprise model rooms,
    # the League school.
    yh_win = weekly(week0, nw, [(d, hm(8, 30), hm(21)) for d in range(1, 7)])
    for t in towns:
        feats = ["classroom"] + [
            f
            for f, p in (
                ("reading_room", 0.5),
                ("counselling_room", 0.4),
                ("activity_hall", 0.35),
                ("court", 0.2),
            )
            if rng.chance(p)
        ]
        lat, lon = rng.near(t.lat, t.lon, 0.4, 1)
        b.venue(
            f"Youth Home, {t.name}",
            lat,
            lon,
            rng.int(3, 8) * 10,
            feats,
            yh_win,
            rating(rng),
            "youth_home",
        )
    for site, feats, cap in (
        ("Youth Home, Civic Plaza", ["activity_hall", "open_land", "court"], 200),
        ("Youth Home, City Reading Room (North)", ["reading_room", "classroom"], 40),
        ("Youth Home, City Reading Room (South)", ["reading_room", "classroom"], 40),
        ("Youth Home, Tianchang Academy", ["classroom", "livestream_room", "counselling_room"], 50),
        ("Youth Home, Enterprise Park", ["meeting_room", "classroom"], 30),
    ):
        t = towns[rng.int(0, 2)] if "Park" not in site else towns[16]
        lat, lon = rng.near(t.lat, t.lon, 1.0, 2)
        b.venue(site, lat, lon, cap, feats, yh_win, rating(rng), "youth_home")
    ent_win = weekly(week0, nw, [(d, hm(9), hm(17, 30)) for d in range(0, 6)])
    for i in range(5):
        t = towns[16] if i < 3 else towns[rng.int(0, 2)]
        lat, lon = rng.near(t.lat, t.lon, 1.0, 2.5)
        b.venue(
            f"Enterprise Youth Model Room {i + 1}",
            lat,
            lon,
            rng.int(2, 4) * 10,
            ["meeting_room", "livestream_room", "classroom"],
            ent_win,
            rating(rng),
            "enterprise",
        )
    lat, lon = rng.near(towns[0].lat, towns[0].lon, 0.5, 1)
    b.venue(
        "Tianchang League School",
        lat,
        lon,
        120,
        ["classroom", "activity_hall", "meeting_room", "livestream_room"],
        None,
        4.5,
        "school",
    )

    # funds
    exp_year = epoch(2022, 12, 31, 23, 59) + 59
    sa = ["student_aid"]
    b.fund("Tianchang Youth Entrepreneurs Association", yuan(40000), sa, ["341181"])
    b.fund(
        "Tianchang Rural Commercial Bank", yuan(25000), sa, [t.code for t in rng.sample(rural, 5)]
    )
    alumni = b.fund(
        "Alumni of Tianchang Middle School",
        yuan(20000),
        sa,
        expires=epoch(2022, 8, 15, 23, 59) + 59,
    )
    b.fund("Caring individuals (online donations)", yuan(14000), sa)
    mw = ["micro_wish"]
    b.fund("Tianchang Women Entrepreneurs' Club", yuan(12000), mw)
    b.fund("Caring individuals (micro-wish wall)", yuan(10000), mw, ["341181"])
    for i, t in enumerate(rng.sample(rural, 10)[:5]):
        b.fund(f"Town enterprise donor {i + 1} ({t.name})", yuan(6000), mw, [t.code])
    b.fund(
        "Tianchang Electronics Chamber of Commerce",
        yuan(6000),
        mw,
        expires=epoch(2022, 12, 25, 23, 59) + 59,
    )
    b.fund(
        "Donated stationery and books",
        yuan(60000),
        ["after_school_class", "reading_club", "science_camp", "arts"],
    )
    b.fund("Donated sports equipment", yuan(30000), ["sports"])
    b.fund("Donated winter clothing", yuan(80000), ["winter_warmth"])
    b.fund(
        "Tianchang Youth League budget, 2nd half 2022",
        yuan(120000),
        [],
        ["341181"],
        expires=exp_year,
    )

    # needs ------------------------------------------------------------------------
    def village(pool=None):
        t = pick_town(rng, pool or towns)
        return t, rng.choice(t.subs)

    aid = []
    for i in range(88):
        t, c = village()
        day = rng.choice([8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 22, 23, 24, 25, 26])
        p = rng.choice([5, 4, 3], p=[0.2, 0.4, 0.4])
        aid.append(
            b.need(
                f"Needy college student grant #{i + 1}",
                "student_aid",
                c.code,
                c.lat,
                c.lon,
                epoch(2022, 8, day, 9),
                epoch(2022, 8, day, 11),
                p,
                funding=yuan(100 * rng.int(10, 15)),
            )
        )
    for i in range(430):
        t, c = village(rural if rng.chance(0.85) else towns)
        day = rng.int(12, 30)
        amt = rng.choice(
            [60, 80, 100, 120, 135, 150, 180, 200, 260], p=[1, 2, 3, 3, 3, 3, 2, 1.5, 0.7]
        )
        b.need(
            f"Micro-wish of a left-behind child #{i + 1}",
            "micro_wish",
            c.code,
            c.lat,
            c.lon,
            epoch(2022, 12, day, 9),
            epoch(2022, 12, day, 17),
            rng.choice([2, 3, 4], p=[0.3, 0.5, 0.2]),
            funding=yuan(amt),
        )
    sats = [w for w in range(nw) if week0 + (w * 7 + 5) * DAY < end_all]
    for i in range(50):
        t, c = village(rural)
        s, e = when(rng, week0, [19, 20], ["sat_am", "sun_am"], 180)
        b.need(
            f"Winter warmth package delivery #{i + 1}",
            "winter_warmth",
            c.code,
            c.lat,
            c.lon,
            s,
            e,
            3,
            [("logistics", 1, 1)],
            funding=yuan(100 * rng.int(15, 20)),
        )
    visits = []
    for i in range(258):
        t, c = village(rural)
        if rng.chance(0.7):
            s, e = when(rng, week0, list(range(1, nw - 1)), ["wd_pm"], 120)
        else:
            s, e = when(rng, week0, list(range(1, nw - 1)), ["sat_am"], 120)
        visits.append(
            b.need(
                f"Counselling visit to a left-behind child #{i + 1}",
                "counselling_visit",
                c.code,
                c.lat,
                c.lon,
                s,
                e,
                rng.choice([3, 4, 5], p=[0.4, 0.4, 0.2]),
                [("counselling", 1, 1)],
            )
        )
    allw = list(range(nw))
    projects = [
        (
            "Spring-bud after-school tutoring",
            "after_school_class",
            [("teaching", 1, 3, True)],
            (["classroom"], 15, 40, 3),
            90,
            ["wd_after", "sat_am"],
            (3, 6),
            (5, 8),
            (100, 400),
            (3, 4),
        ),
        (
            "Youth reading club",
            "reading_club",
            [("teaching", 1, 1, False)],
            (["reading_room"], 10, 30, 5),
            120,
            ["sat_pm", "sun_pm"],
            (2, 4),
            (3, 5),
            None,
            (1, 2),
        ),
        (
            "Summer safety: drowning prevention",
            "safety_education",
            [("first_aid", 1, 2, True), ("general_service", 2, 4, True)],
            None,
            120,
            ["wd_am", "sat_am"],
            (1, 3),
            (6, 10),
            None,
            (4, 5),
        ),
        (
            "Legal aid for young people",
            "legal_aid",
            [("legal_aid", 1, 1, False)],
            (["classroom"], 10, 30, 5),
            120,
            ["sat_am", "wd_eve"],
            (1, 3),
            (3, 5),
            None,
            (2, 3),
        ),
        (
            "Sports for left-behind children",
            "sports",
            [("sports_coaching", 1, 2, True), ("general_service", 1, 2, True)],
            (["court"], 15, 40, 8),
            120,
            ["sat_pm", "sun_am"],
            (2, 4),
            (2, 4),
            (200, 600),
            (2, 3),
        ),
        (
            "Art class in the youth home",
            "arts",
            [("arts", 1, 2, True)],
            (["classroom"], 15, 30, 4),
            90,
            ["sat_am", "sun_pm"],
            (2, 4),
            (3, 5),
            (100, 300),
            (2, 3),
        ),
        (
            "Photo memories for families",
            "photography",
            [("photography", 1, 2, True)],
            None,
            180,
            ["sat_am", "sun_am"],
            (1, 2),
            (3, 6),
            None,
            (1, 2),
        ),
        (
            "Companionship for elderly and children",
            "companionship",
            [("general_service", 2, 4, True)],
            None,
            120,
            ["sat_am", "sun_pm", "wd_eve"],
            (2, 5),
            (5, 9),
            None,
            (2, 4),
        ),
        (
            "Mental health class",
            "mental_health_class",
            [("counselling", 1, 1, False), ("teaching", 1, 1, False)],
            (["classroom"], 30, 60, 5),
            90,
            ["wd_pm", "sat_am"],
            (1, 2),
            (4, 6),
            None,
            (3, 4),
        ),
        (
            "Livestream for rural products",
            "livestream",
            [("livestream", 1, 2, True), ("photography", 1, 1, False)],
            (["livestream_room"], 5, 10, 10),
            180,
            ["sat_pm", "wd_eve"],
            (2, 3),
            (2, 3),
            None,
            (1, 2),
        ),
        (
            "Village environment clean-up",
            "environment",
            [("general_service", 4, 10, True), ("logistics", 1, 1, False)],
            None,
            180,
            ["sat_am", "sun_am"],
            (1, 2),
            (4, 7),
            None,
            (2, 3),
        ),
        (
            "Summer science camp",
            "science_camp",
            [("teaching", 2, 3, True)],
            (["classroom"], 20, 40, 5),
            180,
            ["wd_am"],
            (2, 4),
            (3, 5),
            (200, 500),
            (3, 4),
        ),
        (
            "First aid training",
            "first_aid_training",
            [("first_aid", 1, 2, True)],
            (["activity_hall"], 20, 50, 8),
            120,
            ["sat_pm", "wd_eve"],
            (1, 2),
            (3, 5),
            None,
            (2, 3),
        ),
        (
            "Young entrepreneurs' salon",
            "salon",
            [("event_hosting", 1, 1, False)],
            (["meeting_room"], 15, 30, 10),
            120,
            ["wd_pm", "sat_pm"],
            (1, 2),
            (2, 3),
            None,
            (1, 2),
        ),
        (
            "Anti-fraud campaign",
            "anti_fraud",
            [("legal_aid", 1, 1, False), ("general_service", 2, 3, True)],
            None,
            120,
            ["sat_am", "sun_am"],
            (1, 2),
            (5, 8),
            None,
            (2, 3),
        ),
        (
            "Health check for children",
            "health",
            [("medical", 1, 1, False), ("general_service", 1, 2, True)],
            None,
            180,
            ["sat_am"],
            (1, 1),
            (4, 7),
            None,
            (3, 4),
        ),
        (
            "Community youth festival",
            "social_event",
            [
                ("event_hosting", 1, 2, True),
                ("general_service", 4, 8, True),
                ("photography", 1, 1, False),
            ],
            (["activity_hall"], 60, 120, 10),
            180,
            ["sat_pm", "sun_pm"],
            (1, 1),
            (3, 5),
            (1000, 3000),
            (1, 2),
        ),
    ]
    summer_only = {"Summer safety: drowning prevention", "Summer science camp"}
    for p in projects:
        weeks = [0, 1, 2, 3, 4] if p[0] in summer_only else allw
        project_sessions(b, rng, towns, week0, weeks, [p])
    for i in range(8):
        s, e = when(rng, week0, allw, ["sat_pm"], 180)
        n = b.need(
            f"Youth social event #{i + 1}",
            "social_event",
            "341181/001",
            towns[0].lat + 0.002,
            towns[0].lon + 0.003,
            s,
            e,
            rng.choice([1, 2]),
            [("event_hosting", 2, 1), ("general_service", 8, 5), ("photography", 1, 1)],
            venue_req(["activity_hall"], rng.int(8, 12) * 10, 8),
            yuan(500 * rng.int(4, 10)),
        )
        if i == 0:
            b.pin_venue(n, b.venues[-1])  # held at the League school
    # pins and forbids
    used = set()
    choose_pins(b, rng, visits, 4, "counselling", used)
    early = [n for n in aid if b.fund_ok(alumni, n)]
    for n in early[:2]:
        b.pin_fund(n, alumni, n["funding"])
    for n in rng.sample(visits, 2):
        cands = [v for v in b.volunteers if b.vol_ok(v, n, "counselling") and v["id"] not in used]
        if cands:
            b.forbid_(n, "volunteer", cands[0])
    b.forbid_(aid[-1], "fund", b.funds[0])
    return b


# ---------------------------------------------------------------------------
# Chengyang: epidemic surge fortnight, April 2022
# ---------------------------------------------------------------------------


def chengyang(rng):
    b = Builder("chengyang", "370214")
    week0, nw = epoch(2022, 4, 4), 2  # Monday 2022-04-04 .. Sunday 2022-04-17
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    towns, comms = [], []
    for i, (name, lat, lon, nc) in enumerate(CHENGYANG):
        t = Place(f"370214/{i + 1:03d}", name, lat, lon, float(nc), i == 0)
        add_communities(rng, t, nc, 1.6)
        towns.append(t)
        comms += t.subs
    days = [week0 + d * DAY for d in range(14)]

    # 3,284 volunteers in 131 youth teams, each team based in one community
    bases = [rng.choice(comms) for _ in range(131)]
    sizes = [25] * 131
    for _ in range(3284 - 25 * 131):
        sizes[rng.int(0, 130)] += 1
    for team, (base, size) in enumerate(zip(bases, sizes)):
        for _ in range(size):
            lat, lon = rng.near(base.lat, base.lon, 1.2, 5)
            sk = skills_from(
                rng,
                [
                    ("general_service", 0.85),
                    ("logistics", 0.3),
                    ("data_entry", 0.2),
                    ("disinfection", 0.12),
                    ("first_aid", 0.12),
                    ("medical", 0.05),
                    ("teaching", 0.1),
                    ("counselling", 0.02),
                    ("photography", 0.03),
                ],
            )
            r = rng.random()
            if r < 0.12:
                win = None
            else:
                on = sorted(rng.sample(list(range(14)), rng.int(5, 14)))
                a, z = rng.choice(
                    [
                        (hm(6), hm(13)),
                        (hm(12), hm(21)),
                        (hm(6), hm(21)),
                        (hm(6), hm(21)),
                        (hm(16), hm(23)),
                    ]
                )
                win = [(days[d] + a * 60, days[d] + z * 60) for d in on]
            b.volunteer(
                lat,
                lon,
                sk,
                win,
                rng.int(4, 12) * 4,
                rng.choice([2, 3, 3, 5, 5, 8]),
                f"team{team + 1}",
            )

    # venues: flagship youth home, 4 youth stations, park enterprise sites, 9 hope cabins
    b.venue(
        "Chengyang Youth Home (flagship)",
        towns[0].lat + 0.003,
        towns[0].lon - 0.002,
        60,
        ["classroom", "meeting_room", "livestream_room", "shared_desks"],
        None,
        5.0,
        "youth_home",
    )
    for i, t in enumerate(rng.sample(towns, 4)):
        lat, lon = rng.near(t.lat, t.lon, 0.8, 2)
        b.venue(
            f"Youth Station {i + 1}, {t.name}",
            lat,
            lon,
            rng.int(2, 3) * 10,
            ["classroom", "meeting_room"],
            None,
            rating(rng),
            "youth_station",
        )
    for i, t in enumerate(rng.sample(towns, 3)):
        lat, lon = rng.near(t.lat, t.lon, 1.5, 3)
        b.venue(
            f"Industrial Park Site {i + 1}, {t.name}",
            lat,
            lon,
            150,
            ["activity_hall", "open_land"],
            [(d + hm(8) * 60, d + hm(20) * 60) for d in days],
            rating(rng),
            "park_site",
        )
    cabins = []
    for i, c in enumerate(rng.sample(comms, 9)):
        lat, lon = rng.near(c.lat, c.lon, 0.2, 0.5)
        cabins.append(
            (
                c,
                b.venue(
                    f"Hope Cabin {i + 1}, {c.name}",
                    lat,
                    lon,
                    rng.int(2, 3) * 10,
                    ["classroom", "reading_room"],
                    [(d + hm(14) * 60, d + hm(20) * 60) for d in days],
                    rating(rng),
                    "hope_cabin",
                ),
            )
        )

    # funds
    ss = ["surge_supplies"]
    b.fund("Qingdao Youth Entrepreneurs Association (surge)", yuan(50000), ss)
    b.fund("Chengyang Chamber of Commerce (surge)", yuan(40000), ss, ["370214"])
    for i, t in enumerate(rng.sample(towns, 4)):
        b.fund(f"Street enterprise donor {i + 1} ({t.name})", yuan(12000), ss, [t.code])
    b.fund(
        "Caring individuals (surge, online)",
        yuan(12000),
        ss,
        expires=epoch(2022, 4, 10, 23, 59) + 59,
    )
    b.fund("Hope Cabin Fund", yuan(351000), ["hope_cabin"], ["370214"])

    # needs --------------------------------------------------------------------------
    sealed = rng.sample(comms, 40)
    sealed_set = {c.code for c in sealed}
    shifts = [(hm(7), hm(11)), (hm(11), hm(15)), (hm(15), hm(19)), (hm(19), hm(23))]
    checkpoint = []
    for c in sealed:
        gate_lat, gate_lon = rng.near(c.lat, c.lon, 0.2, 0.4)
        for d in days:
            for a, z in shifts:
                checkpoint.append(
                    b.need(
                        f"Checkpoint shift, {c.name}",
                        "checkpoint",
                        c.code,
                        gate_lat,
                        gate_lon,
                        d + a * 60,
                        d + z * 60,
                        4,
                        [("general_service", 2, 2)],
                    )
                )
    rounds = [0, 2, 4, 6, 9, 12]
    for c in comms:
        for r in rounds:
            d = days[r]
            roles = [("data_entry", rng.int(1, 2), 1), ("general_service", rng.int(3, 6), 2)]
            if rng.chance(0.3):
                roles.append(("medical", 1, 1))
            b.need(
                f"Mass testing support, {c.name}",
                "testing_support",
                c.code,
                c.lat,
                c.lon,
                d + hm(6, 30) * 60,
                d + hm(11, 30) * 60,
                5,
                roles,
            )
    around = [c for c in comms if c.code in sealed_set or rng.chance(0.2)]
    for c in around:
        for k in range(7):
            d = days[2 * k]
            b.need(
                f"Disinfection round, {c.name}",
                "disinfection",
                c.code,
                c.lat,
                c.lon,
                d + hm(14) * 60,
                d + hm(16) * 60,
                3,
                [("disinfection", 2, 1), ("logistics", 1, 1)],
            )
    for c in sealed:
        for d in days:
            b.need(
                f"Doorstep supply delivery, {c.name}",
                "supply_delivery",
                c.code,
                c.lat,
                c.lon,
                d + hm(17) * 60,
                d + hm(20) * 60,
                4,
                [("logistics", 3, 2)],
            )
    # 4:30 classes at the youth home, stations and hope cabins on school days
    class_sites = [u for u in b.venues if "classroom" in u["features"]]
    for u in class_sites:
        for d in days:
            if datetime.fromtimestamp(d, TZ).weekday() >= 5:
                continue
            lat, lon = rng.near(u["lat"], u["lon"], 0.5, 1.2)
            b.need(
                f"4:30 after-school class near {u['name']}",
                "after_school_class",
                towns[0].code if u["tag"] == "youth_home" else "370214",
                lat,
                lon,
                d + hm(16, 30) * 60,
                d + hm(18) * 60,
                rng.choice([2, 3]),
                [("teaching", 2, 1)],
                venue_req(["classroom"], rng.int(15, 20), 2),
            )
    # fix regions of classes: nearest community
    for n in b.needs:
        if n["category"] == "after_school_class":
            c = min(comms, key=lambda c: dist_m(c.lat, c.lon, n["lat"], n["lon"]))
            n["region"] = c.code
    visits = []
    for i in range(60):
        c = rng.choice(comms)
        d = rng.choice(days)
        a = rng.choice([hm(9), hm(14), hm(15, 30)])
        visits.append(
            b.need(
                f"Visit to a child in difficulty #{i + 1}",
                "counselling_visit",
                c.code,
                c.lat,
                c.lon,
                d + a * 60,
                d + a * 60 + 90 * 60,
                rng.choice([3, 4]),
                [("counselling", 1, 1)],
            )
        )
    for i, c in enumerate(rng.sample(comms, 60)):
        d = rng.choice(days[:12])
        b.need(
            f"Emergency supply packages, {c.name}",
            "surge_supplies",
            c.code,
            c.lat,
            c.lon,
            d + hm(9) * 60,
            d + hm(12) * 60,
            4 if c.code in sealed_set else 3,
            [("logistics", 2, 1)],
            funding=yuan(500 * rng.int(3, 10)),
        )
    for i, (c, u) in enumerate(cabins):
        d = days[rng.int(5, 13)]
        b.need(
            f"Furnish {u['name']}",
            "hope_cabin",
            c.code,
            u["lat"],
            u["lon"],
            d + hm(10) * 60,
            d + hm(11) * 60,
            rng.choice([3, 4]),
            funding=yuan(1000 * rng.int(36, 46)),
        )
    # pins: team leaders on checkpoint shifts; forbids: a few volunteers off testing
    used = set()
    choose_pins(b, rng, checkpoint, 6, "general_service", used)
    for n in rng.sample(visits, 3):
        c = [v for v in b.volunteers if b.vol_ok(v, n, "counselling")]
        if c:
            b.forbid_(n, "volunteer", c[-1])
    return b


# ---------------------------------------------------------------------------
# Runzhou: 30 member units sharing venues, year 2023
# ---------------------------------------------------------------------------

RUNZHOU_UNITS = [
    "Runzhou Sports & Culture Centre",
    "Zhenjiang Power Supply Runzhou Branch",
    "Runzhou Tax Bureau",
    "ICBC Runzhou Sub-branch",
    "Agricultural Bank Runzhou",
    "China Mobile Runzhou",
    "China Telecom Runzhou",
    "Zhenjiang Water Group",
    "Runzhou People's Hospital",
    "Runzhou Experimental School",
    "Jinshan Scenic Area Administration",
    "Runzhou Market Regulation Bureau",
    "Runzhou Public Security Branch",
    "Zhenjiang Gas Company",
    "Runzhou Fire Rescue Brigade",
    "Runzhou Court",
    "Runzhou Procuratorate",
    "Runzhou Science & Technology Park",
    "Zhenjiang Museum",
    "Runzhou Library",
    "Jiangsu University Science Park",
    "Zhenjiang Bus Group",
    "Runzhou Housing Bureau",
    "Runzhou Health Commission",
    "Runzhou Education Bureau",
    "China Post Runzhou",
    "Zhenjiang Rural Commercial Bank",
    "Runzhou Women's Federation",
    "Runzhou Youth Entrepreneurs Assoc.",
    "Runzhou Culture & Tourism Bureau",
]


def runzhou(rng):
    b = Builder("runzhou", "321111")
    week0, nw = epoch(2023, 1, 2), 52  # Monday 2023-01-02 .. Sunday 2023-12-31
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    towns = [Place(f"321111/{i + 1:03d}", n, lat, lon) for i, (n, lat, lon) in enumerate(RUNZHOU)]
    units = []
    for i, name in enumerate(RUNZHOU_UNITS):
        t = towns[0] if i == 0 else rng.choice(towns[:7])
        lat, lon = rng.near(t.lat, t.lon, 0.8, 2)
        units.append((name, t, lat, lon))

    # volunteers: staff of the member units (leaders first)
    leaders = []
    for ui, (name, t, ulat, ulon) in enumerate(units):
        for k in range(rng.int(6, 11)):
            lat, lon = rng.near(ulat, ulon, 2.5, 8)
            if k == 0:  # the unit's youth-work liaison, who leads its activity
                sk = ["event_hosting", "general_service"] + (
                    ["photography"] if rng.chance(0.3) else []
                )
                leaders.append(b.volunteer(lat, lon, sk, None, 60, 15, f"unit{ui + 1}-leader"))
                continue
            sk = skills_from(
                rng,
                [
                    ("general_service", 0.8),
                    ("sports_coaching", 0.1),
                    ("first_aid", 0.1),
                    ("photography", 0.1),
                    ("event_hosting", 0.08),
                    ("teaching", 0.12),
                    ("legal_aid", 0.04 if "Court" in name or "Procur" in name else 0.01),
                    ("medical", 0.5 if "Hospital" in name or "Health" in name else 0.01),
                ],
            )
            slots = [(5, hm(8), hm(24 + 20))] if rng.chance(0.8) else [(6, hm(8), hm(20))]
            if rng.chance(0.4):
                slots.append((rng.int(0, 4), hm(18), hm(21, 30)))
            win = None if rng.chance(0.1) else weekly(week0, nw, slots)
            b.volunteer(
                lat,
                lon,
                sk,
                win,
                rng.int(4, 16) * 5,
                rng.choice([5, 8, 10, 10, 15]),
                f"unit{ui + 1}",
            )

    # venues: unit 1 has 3 badminton courts, 2 table-tennis rooms, a gym and a yoga room
    _, t0, ulat, ulon = units[0]
    eve = [(d, hm(18), hm(21, 30)) for d in range(5)] + [(d, hm(8), hm(21)) for d in (5, 6)]
    sport_win = weekly(week0, nw, eve)
    courts = [
        b.venue(
            f"Badminton court {k}, {units[0][0]}",
            ulat,
            ulon,
            12,
            ["court", "badminton"],
            sport_win,
            4.5,
            "court",
        )
        for k in (1, 2, 3)
    ]
    tt = [
        b.venue(
            f"Table-tennis room {k}, {units[0][0]}",
            ulat,
            ulon,
            16,
            ["table_tennis"],
            sport_win,
            4.0,
            "tt",
        )
        for k in (1, 2)
    ]
    gym = b.venue(f"Gym, {units[0][0]}", ulat, ulon, 30, ["gym"], sport_win, 4.0, "gym")
    yoga = b.venue(
        f"Yoga room, {units[0][0]}", ulat, ulon, 25, ["yoga_room"], sport_win, 4.5, "yoga"
    )
    room_win = weekly(
        week0, nw, [(d, hm(18), hm(21)) for d in range(5)] + [(5, hm(8, 30), hm(17, 30))]
    )
    kinds = [
        (["meeting_room"], 20, 60),
        (["classroom", "meeting_room"], 30, 50),
        (["reading_room"], 20, 40),
        (["activity_hall"], 80, 200),
        (["livestream_room"], 6, 12),
        (["meeting_room", "livestream_room"], 20, 40),
    ]
    for ui in rng.sample(list(range(1, 30)), 20):
        name, t, ulat2, ulon2 = units[ui]
        feats, cmin, cmax = rng.choice(kinds)
        b.venue(
            f"{feats[0].replace('_', ' ').capitalize()}, {name}",
            ulat2,
            ulon2,
            rng.int(cmin, cmax),
            feats,
            room_win,
            rating(rng),
            "unit_room",
        )
    plot = b.venue(
        "Green plot, Nanshan (2,000 m2 planted)",
        32.155,
        119.420,
        150,
        ["open_land"],
        None,
        None,
        "open_land",
    )
    b.venue(
        "Green plot, Nanshan extension (10,000 m2, from October)",
        32.150,
        119.426,
        500,
        ["open_land"],
        [(epoch(2023, 10, 1), epoch(2024, 1, 1))],
        None,
        "open_land",
    )

    # funds: each member unit's own budget for shared activities
    funds = [
        b.fund(
            f"{name} (unit budget)",
            yuan(500 * rng.int(2, 10)),
            [],
            ["321111"],
            epoch(2023, 12, 31, 23, 59) + 59,
        )
        for name, *_ in units
    ]

    # needs --------------------------------------------------------------------------
    tree = b.need(
        "Tree-planting day, Nanshan green plot",
        "tree_planting",
        "321111/007",
        32.156,
        119.419,
        epoch(2023, 3, 11, 8, 30),
        epoch(2023, 3, 11, 11, 30),
        5,
        [("general_service", 120, 100), ("first_aid", 2, 1), ("photography", 1, 1)],
        venue_req(["open_land"], 100, 3),
    )
    b.pin_venue(tree, plot)
    b.need(
        "Autumn tree-planting, Nanshan extension",
        "tree_planting",
        "321111/007",
        32.151,
        119.425,
        epoch(2023, 11, 11, 8, 30),
        epoch(2023, 11, 11, 11, 30),
        4,
        [("general_service", 80, 50), ("first_aid", 1, 1)],
        venue_req(["open_land"], 60, 3),
    )
    # staff badminton tournament: 4 blocks x 4 matches, only 3 courts
    for blk in range(4):
        s = epoch(2023, 5, 20, 9 + 2 * blk)
        for m in range(4):
            roles = [("sports_coaching", 1, 1)] if m < 2 else []
            b.need(
                f"Staff badminton tournament, block {blk + 1} match {m + 1}",
                "sports_tournament",
                towns[0].code,
                ulat + 0.001,
                ulon + 0.001,
                s,
                s + 2 * HOUR,
                3 if m < 3 else 2,
                roles,
                venue_req(["court", "badminton"], 10, 2),
            )
    # yearly activity list: each unit leads one activity
    acts = [
        ("Reading club", "reading_club", ["reading_room"], [("teaching", 1, 1)]),
        ("Young professionals' salon", "salon", ["meeting_room"], [("general_service", 2, 1)]),
        ("Badminton friendly", "sports", ["court", "badminton"], [("sports_coaching", 1, 1)]),
        ("Table-tennis friendly", "sports", ["table_tennis"], [("sports_coaching", 1, 1)]),
        ("Yoga for young staff", "sports", ["yoga_room"], [("sports_coaching", 1, 1)]),
        (
            "Youth mixer (social event)",
            "social_event",
            ["activity_hall"],
            [("general_service", 6, 3), ("photography", 1, 1)],
        ),
        ("Legal knowledge lecture", "lecture", ["classroom"], [("legal_aid", 1, 1)]),
        (
            "First-aid workshop",
            "lecture",
            ["activity_hall"],
            [("first_aid", 2, 1), ("medical", 1, 1)],
        ),
        ("Livestream skills workshop", "salon", ["livestream_room"], [("photography", 1, 1)]),
    ]
    led = []
    for ui, (name, t, ulat2, ulon2) in enumerate(units):
        title, cat, feats, roles = rng.choice(acts)
        month = 1 + (ui * 11) // 29
        while True:
            day = rng.int(1, 28)
            d = datetime(2023, month + 1 if month < 12 else 12, day, tzinfo=TZ)
            if d.weekday() == 5:
                break
        s = int(d.timestamp()) + hm(9, 30) * 60
        cap = rng.int(15, 40) if "activity_hall" not in feats else rng.int(60, 120)
        h = host_venue(b, rng, feats, cap, ulat2, ulon2)
        if h is None:
            cap = 10
            h = host_venue(b, rng, feats, cap, ulat2, ulon2)
        lat, lon = rng.near(h["lat"], h["lon"], 0.3, 0.8)
        maxd = max(5, math.ceil(dist_m(lat, lon, h["lat"], h["lon"]) / 1000 + 1))
        n = b.need(
            f"{title} (led by {name})",
            cat,
            t.code,
            lat,
            lon,
            s,
            s + 150 * 60,
            rng.int(3, 4),
            [("event_hosting", 1, 1)] + roles,
            venue_req(feats, cap, maxd),
            yuan(500 * rng.int(2, 12)),
        )
        led.append(n)
        leader = leaders[ui]
        if ui % 5 in (0, 2) and b.vol_ok(leader, n, "event_hosting"):
            b.pin_volunteer(n, leader)
    # regular shared-venue use by units: weekly evening sessions, venue only
    regular = [
        ("Badminton evening", "sports", ["court", "badminton"], 8),
        ("Table-tennis evening", "sports", ["table_tennis"], 6),
        ("Gym session", "sports", ["gym"], 15),
        ("Yoga class", "sports", ["yoga_room"], 15),
    ]
    for ui in rng.sample(list(range(30)), 14):
        title, cat, feats, cap = rng.choice(regular, p=[4, 2, 1, 1.5])
        wd = rng.int(0, 4)
        start = rng.choice([hm(18), hm(19, 30)])
        first = rng.int(0, 20)
        for w in range(first, min(nw, first + 26), 2):
            s = week0 + (w * 7 + wd) * DAY + start * 60
            b.need(
                f"{title}, {units[ui][0]}",
                cat,
                units[ui][1].code,
                units[ui][2],
                units[ui][3],
                s,
                s + 90 * 60,
                rng.choice([1, 2], p=[0.7, 0.3]),
                [],
                venue_req(feats, cap, 12),
            )
    # forbids: a unit's budget may not pay for another unit's social events
    socials = [n for n in led if n["category"] == "social_event"]
    for n, f in zip(socials, rng.sample(funds, len(socials))):
        b.forbid_(n, "fund", f)
    b.forbid_(tree, "volunteer", leaders[0])
    return b


# ---------------------------------------------------------------------------
# Zhecheng: county of 24 towns, March - August 2023
# ---------------------------------------------------------------------------


def zhecheng(rng):
    b = Builder("zhecheng", "411424")
    week0, nw = epoch(2023, 3, 6), 26  # Monday 2023-03-06 .. Sunday 2023-09-03
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    towns = []
    for i, (name, lat, lon, urban) in enumerate(ZHECHENG):
        t = Place(f"411424/{i + 1:03d}", name, lat, lon, 2.0 if urban else 1.0, urban)
        add_communities(rng, t, rng.int(6, 10) if urban else rng.int(12, 18), 1.0 if urban else 3.0)
        towns.append(t)
    rural = [t for t in towns if not t.urban]
    allw = list(range(nw))

    # 22 certified counsellors
    counsellors = []
    for i in range(22):
        t = towns[i % 4] if i < 14 else rng.choice(rural)
        lat, lon = rng.near(t.lat, t.lon, 1.5, 4)
        sk = ["counselling"] + [
            s for s, p in (("teaching", 0.4), ("general_service", 0.3)) if rng.chance(p)
        ]
        slots = [(d, hm(14), hm(18)) for d in rng.sample([0, 1, 2, 3, 4], rng.int(2, 3))]
        if rng.chance(0.7):
            slots.append((5, hm(8, 30), hm(17, 30)))
        counsellors.append(
            b.volunteer(
                lat,
                lon,
                sk,
                weekly(week0, nw, slots),
                rng.int(4, 9) * 5,
                rng.choice([15, 20, 25, 30]),
                "counsellor",
            )
        )
    # League members and other volunteers (new members owe 20 hours a year)
    summer = [(epoch(2023, 7, d, 8), epoch(2023, 7, d, 20)) for d in range(1, 32)]
    summer += [(epoch(2023, 8, d, 8), epoch(2023, 8, d, 20)) for d in range(1, 32)]
    for _ in range(480):
        t = pick_town(rng, towns)
        lat, lon = rng.near(t.lat, t.lon, 1.2 if t.urban else 2.5, 8)
        sk = skills_from(
            rng,
            [
                ("general_service", 0.8),
                ("teaching", 0.3),
                ("first_aid", 0.15),
                ("legal_aid", 0.06),
                ("photography", 0.1),
                ("sports_coaching", 0.1),
                ("logistics", 0.15),
                ("event_hosting", 0.08),
            ],
        )
        student = rng.chance(0.3)
        if student:
            win = sorted(summer + weekly(week0, nw, [(5, hm(8), hm(18))]))
        else:
            slots = [(d, hm(8), hm(18)) for d in ([5, 6] if rng.chance(0.5) else [rng.int(5, 6)])]
            if rng.chance(0.3):
                slots.append((rng.int(0, 4), hm(18, 30), hm(21)))
            win = None if rng.chance(0.05) else weekly(week0, nw, slots)
        mh = 20 if rng.chance(0.6) else rng.int(6, 16) * 5
        b.volunteer(
            lat,
            lon,
            sk,
            win,
            mh,
            rng.choice([3, 5, 5, 8, 10, 15]),
            "student_member" if student else "member",
        )

    # venues: 24 youth homes (every town), 2 counselling homes
    yh_win = weekly(week0, nw, [(d, hm(8, 30), hm(18)) for d in range(6)])
    for i, t in enumerate(towns):
        feats = ["classroom", "activity_hall"] + (["reading_room"] if rng.chance(0.5) else [])
        if i < 4 or rng.chance(0.35):
            feats.append("counselling_room")
        lat, lon = rng.near(t.lat, t.lon, 0.3, 0.8)
        b.venue(
            f"Youth Home, {t.name}",
            lat,
            lon,
            rng.int(4, 12) * 10,
            feats,
            yh_win,
            rating(rng),
            "youth_home",
        )
    for t in (towns[0], towns[4]):
        lat, lon = rng.near(t.lat, t.lon, 0.5, 1)
        b.venue(
            f"Youth Counselling Home, {t.name}",
            lat,
            lon,
            20,
            ["counselling_room", "classroom"],
            yh_win,
            4.5,
            "counselling_home",
        )

    # funds: 562,000 CNY for student aid (part earmarked by town donors)
    sa = ["student_aid"]
    exp_aug10 = epoch(2023, 8, 10, 23, 59) + 59
    b.fund("Zhecheng Charity Federation (Golden Autumn Student Aid)", yuan(100000), sa)
    b.fund("Zhecheng Youth Entrepreneurs Association", yuan(60000), sa, ["411424"])
    b.fund("Caring individuals (online student aid)", yuan(27000), sa, expires=exp_aug10)
    donor_towns = rng.sample(rural, 10)
    left = 375000
    shares = [rng.int(15, 45) for _ in donor_towns]
    earmarked = []
    for k, (t, sh) in enumerate(zip(donor_towns, shares)):
        amt = left if k == len(donor_towns) - 1 else round(375000 * sh / sum(shares), -3)
        left -= amt
        earmarked.append(b.fund(f"Native entrepreneurs of {t.name}", yuan(amt), sa, [t.code]))
    mh_cats = ["counselling_event", "counselling_session"]
    b.fund("Zhecheng Youth Mental Health Fund", yuan(83800), mh_cats, ["411424"])
    b.fund("Village Counselling Public Fund", yuan(60000), mh_cats, [t.code for t in rural])
    b.fund(
        "Zhecheng Emergency Management Bureau (safety campaigns)",
        yuan(20000),
        ["fire_safety", "drowning_prevention"],
    )
    b.fund("Zhecheng Public Security Bureau (anti-fraud)", yuan(8000), ["anti_fraud"])

    # needs --------------------------------------------------------------------------
    aid = []
    aug_days = [d for d in range(1, 26) if datetime(2023, 8, d).weekday() < 5]
    for i in range(455):
        t = pick_town(rng, towns)
        c = rng.choice(t.subs)
        d = rng.choice(aug_days)
        aid.append(
            b.need(
                f"Student aid grant #{i + 1}",
                "student_aid",
                c.code,
                c.lat,
                c.lon,
                epoch(2023, 8, d, 9),
                epoch(2023, 8, d, 11),
                rng.choice([5, 4, 3], p=[0.2, 0.4, 0.4]),
                funding=yuan(10 * rng.int(57, 123)),
            )
        )
    for i in range(88):
        t = towns[i % 24]
        c = rng.choice(t.subs)
        feats = [rng.choice(["classroom", "activity_hall"])]
        cap = rng.int(4, 8) * 10
        h = host_venue(b, rng, feats, cap, c.lat, c.lon) or host_venue(
            b, rng, feats, 40, c.lat, c.lon
        )
        cap = min(cap, h["capacity"])
        lat, lon = rng.near(h["lat"], h["lon"], 0.5, 1.5)
        s, e = when(rng, week0, allw, ["wd_pm", "sat_am"], 120)
        b.need(
            f"Group counselling event #{i + 1}, {t.name}",
            "counselling_event",
            h_region(towns, h),
            lat,
            lon,
            s,
            e,
            rng.choice([3, 4]),
            [("counselling", 2, 1), ("general_service", 2, 1)],
            venue_req(
                feats, cap, max(3, math.ceil(dist_m(lat, lon, h["lat"], h["lon"]) / 1000 + 0.5))
            ),
            yuan(100 * rng.int(4, 12)),
        )
    sessions = []
    for i in range(405):
        t = pick_town(rng, towns)
        c = rng.choice(t.subs)
        s, e = when(rng, week0, allw, ["wd_pm", "wd_pm", "sat_am", "sat_pm"], 60)
        s += rng.choice([0, 60, 90]) * 60
        e = s + HOUR
        vreq = None
        if rng.chance(0.6):
            h = host_venue(b, rng, ["counselling_room"], 2, c.lat, c.lon)
            vreq = venue_req(
                ["counselling_room"],
                2,
                max(5, math.ceil(dist_m(c.lat, c.lon, h["lat"], h["lon"]) / 1000 + 1)),
            )
        funding = 0 if t.urban else yuan(10 * rng.int(10, 20))
        sessions.append(
            b.need(
                f"Individual counselling session #{i + 1}",
                "counselling_session",
                c.code,
                c.lat,
                c.lon,
                s,
                e,
                rng.choice([3, 4, 5], p=[0.4, 0.4, 0.2]),
                [("counselling", 1, 1)],
                vreq,
                funding,
            )
        )
    holidays = [epoch(2023, 4, 5, 8), epoch(2023, 6, 22, 8)]
    for t in towns:
        for theme in ("fire_safety", "drowning_prevention", "anti_fraud", "festival_travel"):
            c = rng.choice(t.subs)
            h = next(u for u in b.venues if u["name"] == f"Youth Home, {t.name}")
            if theme == "fire_safety":
                s, e = when(rng, week0, list(range(0, 8)), ["sat_am", "sat_pm"], 120)
                roles, vreq, fund = (
                    [("first_aid", 1, 1), ("general_service", 4, 2)],
                    ["activity_hall"],
                    300,
                )
            elif theme == "drowning_prevention":
                s, e = when(rng, week0, list(range(12, 22)), ["sat_am", "sat_pm"], 120)
                roles = [("first_aid", 2, 1), ("sports_coaching", 1, 1), ("general_service", 3, 2)]
                vreq, fund = None, 300
            elif theme == "anti_fraud":
                s, e = when(rng, week0, allw, ["sat_am", "sat_pm"], 120)
                roles, vreq, fund = (
                    [("legal_aid", 1, 1), ("general_service", 3, 2)],
                    ["classroom"],
                    200,
                )
            else:
                s = rng.choice(holidays)
                e = s + 4 * HOUR
                roles, vreq, fund = [("general_service", 6, 3)], None, 0
            lat, lon = rng.near(h["lat"], h["lon"], 0.4, 1) if vreq else (c.lat, c.lon)
            b.need(
                f"{theme.replace('_', ' ').capitalize()} campaign, {t.name}",
                theme,
                c.code,
                lat,
                lon,
                s,
                e,
                rng.choice([2, 3, 4]),
                roles,
                venue_req(vreq, min(h["capacity"], rng.int(6, 12) * 10), 3) if vreq else None,
                yuan(fund * rng.int(1, 2)),
            )
    b.objective["fairness"] = {"region_depth": 2}
    # pins: follow-up sessions with the same counsellor; donors' designated students
    used = set()
    choose_pins(b, rng, sessions, 8, "counselling", used)
    for f in earmarked[:5]:
        mine = [n for n in aid if b.fund_ok(f, n)]
        if mine:
            b.pin_fund(mine[0], f, mine[0]["funding"])
    for n in rng.sample(sessions, 12):
        if len(b.forbid) >= 3:
            break
        cands = [v for v in counsellors if b.vol_ok(v, n, "counselling") and v["id"] not in used]
        if len(cands) >= 2:
            b.forbid_(n, "volunteer", cands[0])
    b.forbid_(aid[0], "fund", b.funds[0])
    return b


def h_region(towns, u):
    t = min(towns, key=lambda t: dist_m(t.lat, t.lon, u["lat"], u["lon"]))
    return t.code


# ---------------------------------------------------------------------------
# Yibin: city year 2018 (10 counties/districts); --scale K adds Sichuan counties
# ---------------------------------------------------------------------------

YB_VENUE_KINDS = {
    # kind: (share, base features, optional features, capacity range, weekly opening slots)
    "community_centre": (
        0.55,
        ["classroom", "activity_hall"],
        [("counselling_room", 0.35), ("reading_room", 0.3)],
        (40, 150),
        [(d, hm(9), hm(21)) for d in range(1, 7)],
    ),
    "cinema": (
        0.10,
        ["screening_room", "activity_hall"],
        [],
        (100, 300),
        [(d, hm(9), hm(17)) for d in range(7)],
    ),
    "studio": (
        0.15,
        ["studio"],
        [("livestream_room", 0.6), ("classroom", 0.4)],
        (15, 40),
        [(d, hm(10), hm(21)) for d in range(6)],
    ),
    "bookshop": (
        0.20,
        ["reading_room"],
        [("classroom", 0.5)],
        (20, 60),
        [(d, hm(9), hm(21, 30)) for d in range(7)],
    ),
}

# category: (count per city, host kinds, venue features, cap range, roles spec, slot kinds,
#            weeks, duration min, priority range, p(no venue), funding range CNY, p(funding))
YB_ACTIVITIES = [
    (
        "companionship",
        900,
        ["community_centre"],
        ["classroom"],
        (10, 30),
        [("general_service", 2, 4, True), ("teaching", 0, 1, False)],
        ["sat_am", "sat_pm", "sun_am", "sun_pm"],
        None,
        120,
        (3, 4),
        0.5,
        (200, 500),
        0.1,
    ),
    (
        "summer_care",
        600,
        ["community_centre", "bookshop"],
        ["classroom"],
        (20, 40),
        [("teaching", 2, 3, True), ("sports_coaching", 0, 1, False), ("arts", 0, 1, False)],
        ["wd_am", "wd_pm"],
        list(range(27, 34)),
        150,
        (4, 4),
        0,
        (300, 800),
        0.3,
    ),
    (
        "winter_warmth",
        200,
        ["community_centre"],
        [],
        (1, 1),
        [("general_service", 3, 3, True), ("logistics", 1, 1, False)],
        ["sat_am", "sun_am"],
        [2, 3, 4, 5, 49, 50, 51],
        180,
        (4, 4),
        1,
        (1000, 3000),
        1,
    ),
    (
        "reading_club",
        350,
        ["bookshop"],
        ["reading_room"],
        (15, 30),
        [("teaching", 1, 1, False)],
        ["sat_pm", "sun_pm", "wd_eve"],
        None,
        120,
        (2, 2),
        0,
        None,
        0,
    ),
    (
        "film_screening",
        150,
        ["cinema"],
        ["screening_room"],
        (80, 200),
        [("event_hosting", 1, 1, False), ("general_service", 2, 2, True)],
        ["sat_am", "sun_am", "sat_pm"],
        None,
        150,
        (1, 2),
        0,
        None,
        0,
    ),
    (
        "studio_workshop",
        250,
        ["studio"],
        ["studio"],
        (10, 15),
        [("photography", 1, 2, True), ("livestream", 0, 1, False)],
        ["sat_am", "sat_pm", "wd_eve"],
        None,
        120,
        (2, 2),
        0,
        None,
        0,
    ),
    (
        "sports",
        350,
        ["community_centre"],
        ["activity_hall"],
        (20, 40),
        [("sports_coaching", 1, 2, True), ("general_service", 0, 1, False)],
        ["sat_am", "sun_pm"],
        None,
        120,
        (2, 2),
        0,
        None,
        0,
    ),
    (
        "mental_health",
        150,
        ["community_centre"],
        ["classroom"],
        (20, 40),
        [("counselling", 1, 1, False), ("general_service", 1, 1, False)],
        ["sat_am", "wd_eve", "sun_am"],
        None,
        90,
        (3, 3),
        0,
        None,
        0,
    ),
    (
        "legal_education",
        100,
        ["community_centre", "bookshop"],
        ["classroom"],
        (20, 40),
        [("legal_aid", 1, 1, False)],
        ["sat_pm", "wd_eve"],
        None,
        90,
        (2, 2),
        0,
        None,
        0,
    ),
    (
        "first_aid_training",
        150,
        ["community_centre"],
        ["activity_hall"],
        (20, 60),
        [("first_aid", 1, 2, True), ("medical", 0, 1, False)],
        ["sat_pm", "sun_am"],
        None,
        120,
        (2, 3),
        0,
        None,
        0,
    ),
]


def yibin(rng, scale=1):
    K = int(scale)
    if K < 1 or len(sichuan_table()) < 10 * K:
        raise SystemExit(f"--scale must be 1..{len(sichuan_table()) // 10}")
    b = Builder("yibin" if K == 1 else f"yibin_x{K}", "511500")
    week0, nw = epoch(2018, 1, 1), 52  # Monday 2018-01-01 .. Sunday 2018-12-30
    assert datetime.fromtimestamp(week0, TZ).weekday() == 0
    table = {c: (lat, lon, name) for c, lat, lon, name in sichuan_table()}
    specs = []
    for code, name, w, ntown, rad in YIBIN_COUNTIES:
        lat, lon, _ = table[code]
        specs.append((CODE_FIX.get(code, code), name, lat, lon, w, ntown, rad))
    mine = {c for c, *_ in YIBIN_COUNTIES}
    for code, lat, lon, name in sichuan_table():
        if len(specs) >= 10 * K:
            break
        if code not in mine:
            specs.append((code, name, lat, lon, 3.5, 14, 18.0))
    counties = []  # (Place, [towns])
    for code, name, lat, lon, w, ntown, rad in specs:
        cp = Place(code, name, lat, lon, w)
        towns = []
        for i in range(ntown):
            if i == 0:
                tl, tn = lat, lon
            else:
                tl, tn = rng.disc(lat, lon, rad, 3.0)
            t = Place(
                f"{code}/{i + 1:03d}",
                f"{name} town {i + 1}",
                tl,
                tn,
                4.0 if i == 0 else 1.0,
                i == 0,
            )
            add_communities(rng, t, rng.int(6, 12), 1.0 if i == 0 else 2.5)
            towns.append(t)
        counties.append((cp, towns))
    cw = [cp.weight for cp, _ in counties]

    def county_town(seat_weight=None):
        cp, towns = rng.choice(counties, p=cw)
        return cp, pick_town(rng, towns)

    # volunteers ---------------------------------------------------------------------
    probs = [
        ("general_service", 0.6),
        ("teaching", 0.22),
        ("arts", 0.07),
        ("sports_coaching", 0.07),
        ("photography", 0.06),
        ("first_aid", 0.07),
        ("medical", 0.03),
        ("counselling", 0.02),
        ("legal_aid", 0.03),
        ("logistics", 0.1),
        ("event_hosting", 0.06),
        ("livestream", 0.04),
    ]
    travel = [3, 5, 5, 8, 8, 10, 10, 12, 15]
    winter = (epoch(2018, 1, 20, 8), epoch(2018, 2, 25, 21))
    summer = (epoch(2018, 7, 1, 8), epoch(2018, 8, 31, 21))
    for _ in range(111 * K):  # year-long university volunteers, at the county seats
        cp, towns = rng.choice(counties, p=cw)
        lat, lon = rng.near(towns[0].lat, towns[0].lon, 1.0, 3)
        sk = ["teaching"] + [
            s
            for s, p in (
                ("arts", 0.3),
                ("sports_coaching", 0.3),
                ("photography", 0.2),
                ("general_service", 0.6),
            )
            if rng.chance(p)
        ]
        b.volunteer(lat, lon, sk, None, 600, 15, "western_plan")
    for team in range(11 * K):  # graduate teaching teams, summer care
        cp, towns = rng.choice(counties, p=cw)
        t = rng.choice(towns)
        for _ in range(8):
            lat, lon = rng.near(t.lat, t.lon, 0.5, 2)
            sk = (
                ["teaching"]
                + (["arts"] if rng.chance(0.3) else [])
                + (["sports_coaching"] if rng.chance(0.3) else [])
            )
            b.volunteer(
                lat,
                lon,
                sk,
                [(epoch(2018, 7, 9, 8), epoch(2018, 8, 24, 18))],
                120,
                20,
                f"grad_team{team + 1}",
            )
    for _ in range(10000 * K - 199 * K):
        cp, t = county_town()
        lat, lon = rng.near(t.lat, t.lon, 1.2 if t.urban else 2.0, 8)
        r = rng.random()
        if r < 0.55:
            tag = "working_youth"
            sk = skills_from(rng, probs)
            w0 = rng.int(0, nw - 8)
            span = rng.int(8, 20)
            slots = [(5, hm(8), hm(24 + 20))]
            if rng.chance(0.3):
                slots.append((rng.int(0, 4), hm(18, 30), hm(21, 30)))
            win = weekly(week0 + w0 * 7 * DAY, min(span, nw - w0), slots)
            mh = rng.int(2, 15) * 4
        elif r < 0.80:
            tag = "college_student"
            sk = skills_from(rng, probs)
            win = [winter, summer]
            if rng.chance(0.2):
                w0 = rng.int(9, 40)
                win = sorted(win + weekly(week0 + w0 * 7 * DAY, 10, [(5, hm(8), hm(24 + 20))]))
            mh = rng.int(5, 20) * 4
        elif r < 0.92:
            tag = "teacher"
            sk = ["teaching"] + [s for s, p in probs if s != "teaching" and rng.chance(p / 2)]
            w0 = rng.int(0, nw - 10)
            win = sorted(
                [summer]
                + [
                    w
                    for w in weekly(
                        week0 + w0 * 7 * DAY, min(12, nw - w0), [(5, hm(8), hm(24 + 20))]
                    )
                    if w[1] <= summer[0] or w[0] >= summer[1]
                ]
            )
            mh = rng.int(5, 15) * 4
        else:
            tag = "retiree"
            sk = skills_from(rng, probs)
            if rng.chance(0.25):
                win = None
            else:
                w0 = rng.int(0, nw - 10)
                win = weekly(
                    week0 + w0 * 7 * DAY,
                    min(rng.int(10, 30), nw - w0),
                    [(0, hm(8), hm(24 * 4 + 18))],
                )
            mh = rng.int(10, 38) * 4
        b.volunteer(
            lat, lon, sk, win, mh, rng.choice(travel if tag != "retiree" else [3, 5, 8]), tag
        )

    # venues: 164 youth homes per city, star-rated ------------------------------------
    kinds = list(YB_VENUE_KINDS)
    kind_p = [YB_VENUE_KINDS[k][0] for k in kinds]
    kind_win = {k: weekly(week0, nw, YB_VENUE_KINDS[k][4]) for k in kinds}
    by_county = {}
    nven = 164 * K
    tot_w = sum(cw)
    alloc = [max(8, int(164 * K * w / tot_w)) for w in cw]
    i = 0
    while sum(alloc) < nven:
        alloc[i % len(alloc)] += 1
        i += 1
    while sum(alloc) > nven:
        j = alloc.index(max(alloc))
        alloc[j] -= 1
    for (cp, towns), na in zip(counties, alloc):
        lst = by_county.setdefault(cp.code, [])
        for j in range(na):
            kind = kinds[j] if j < len(kinds) else rng.choice(kinds, p=kind_p)
            _, base, opt, (cmin, cmax), _slots = YB_VENUE_KINDS[kind]
            t = towns[0] if rng.chance(0.45) else rng.choice(towns)
            lat, lon = rng.near(t.lat, t.lon, 0.8 if t.urban else 0.5, 2)
            feats = base + [f for f, p in opt if rng.chance(p)]
            label = kind.replace("_", " ").title()
            u = b.venue(
                f"Youth Home ({label}), {t.name}",
                lat,
                lon,
                rng.int(cmin // 5, cmax // 5) * 5,
                feats,
                kind_win[kind],
                rating(rng),
                kind,
            )
            u["town"] = t
            lst.append(u)

    # funds (2,496,000 CNY per city block) ---------------------------------------------
    cc_cats = ["winter_warmth", "summer_care", "companionship"]
    town_funds = []
    for blk in range(K):
        blk_counties = counties[10 * blk : 10 * blk + 10]
        label = "Yibin" if blk == 0 else f"Sichuan block {blk + 1}"
        b.fund(
            f"{label} Youth Development Foundation (student aid)",
            yuan(400000),
            ["student_aid"],
            expires=epoch(2018, 9, 30, 23, 59) + 59,
        )
        b.fund(f"{label} child-care project chain", yuan(300000), cc_cats)
        bw = sum(cp.weight for cp, _ in blk_counties)
        left = 1000000
        for k, (cp, _towns) in enumerate(blk_counties):
            amt = left if k == len(blk_counties) - 1 else round(1000000 * cp.weight / bw, -3)
            left -= amt
            b.fund(
                f"{cp.name} League committee project funds", yuan(amt), ["student_aid"], [cp.code]
            )
        left = 796000
        picks = [(cp, t) for cp, towns in blk_counties for t in rng.sample(towns[1:], 3)]
        shares = [rng.int(15, 38) for _ in picks]
        for k, (cp, t) in enumerate(picks):
            amt = left if k == len(picks) - 1 else round(796000 * shares[k] / sum(shares), -3)
            left -= amt
            f = b.fund(
                f"Social donations, {t.name}",
                yuan(amt),
                ["student_aid"],
                [t.code],
                expires=epoch(2018, 6, 30, 23, 59) + 59 if rng.chance(0.2) else None,
            )
            town_funds.append(f)
        assert left >= 0

    # needs: 3,200 activities published weekly, 4,379 aid grants ------------------------
    films = []
    for cat, cnt, hosts, feats, (
        cmin,
        cmax,
    ), rspec, slot_kinds, weeks, dur, prio, p_novenue, frange, p_fund in YB_ACTIVITIES:
        for _ in range(cnt * K):
            cp, towns = rng.choice(counties, p=cw)
            cands = [
                u
                for u in by_county[cp.code]
                if u["tag"] in hosts and set(feats) <= set(u["features"])
            ]
            if not cands:
                cands = [
                    u for u in by_county[cp.code] if set(feats) <= set(u["features"])
                ] or by_county[cp.code]
            h = rng.choice(cands)
            for _try in range(6):
                s, e = when(rng, week0, weeks or list(range(nw)), slot_kinds, dur)
                if fits(h["windows"], s, e):
                    break
            t = h["town"]
            c = rng.choice(t.subs)
            if rng.chance(p_novenue) or not feats:
                lat, lon, vreq = c.lat, c.lon, None
            else:
                lat, lon = rng.near(h["lat"], h["lon"], 0.7, 1.5)
                d = dist_m(lat, lon, h["lat"], h["lon"]) / 1000
                cap = min(h["capacity"], rng.int(cmin, cmax))
                vreq = venue_req(feats, cap, max(rng.choice([3, 5, 5, 8]), math.ceil(d + 0.5)))
            funding = (
                yuan(50 * rng.int(frange[0] // 50, frange[1] // 50))
                if frange and rng.chance(p_fund)
                else 0
            )
            title = f"{cat.replace('_', ' ').capitalize()}, {t.name} (week {(s - week0) // (7 * DAY) + 1})"
            n = b.need(
                title,
                cat,
                c.code,
                lat,
                lon,
                s,
                e,
                rng.int(*prio),
                make_roles(rng, rspec),
                vreq,
                funding,
            )
            if cat == "film_screening":
                films.append((n, h))
    rounds = [(3, 5, 16, 0.4), (8, 27, 31, 0.3), (9, 3, 7, 0.15), (12, 10, 21, 0.15)]
    aid_amounts = [300, 400, 500, 500, 600, 600, 700, 800, 1000]
    aid_p = [2, 3, 4, 4, 3, 3, 2, 1.5, 1]
    aid = []
    for i in range(4379 * K):
        cp, towns = rng.choice(counties, p=cw)
        t = rng.choice(towns)
        c = rng.choice(t.subs)
        m, d0, d1, _ = rng.choice(rounds, p=[r[3] for r in rounds])
        while True:
            d = rng.int(d0, d1)
            if datetime(2018, m, d).weekday() < 5:
                break
        aid.append(
            b.need(
                f"Student aid grant #{i + 1}",
                "student_aid",
                c.code,
                c.lat,
                c.lon,
                epoch(2018, m, d, 9),
                epoch(2018, m, d, 11),
                rng.choice([3, 4, 5], p=[0.4, 0.4, 0.2]),
                funding=yuan(rng.choice(aid_amounts, p=aid_p)),
            )
        )
    # pins: designated sponsorships and screenings held at their host cinema
    for f in town_funds[: 10 * K]:
        mine = [n for n in aid if n["region"].startswith(f["regions"][0] + "/") and b.fund_ok(f, n)]
        if mine:
            b.pin_fund(mine[0], f, mine[0]["funding"])
    seen = set()
    for n, h in films:
        if len([p for p in b.pins if "venue" in p]) >= 5 * K:
            break
        if (h["id"] not in seen and n["venue"] is not None and b.venue_ok(h, n)
                and b.staffable(n)):
            seen.add(h["id"])
            b.pin_venue(n, h)
    for n in rng.sample([n for n, _ in films], 5 * K):
        for v in b.volunteers:
            if b.vol_ok(v, n, "event_hosting"):
                b.forbid_(n, "volunteer", v)
                break
    for u in b.venues:
        u.pop("town", None)
    return b


# ---------------------------------------------------------------------------
# figures for tuning: candidate pairs, starved roles, supply vs demand
# ---------------------------------------------------------------------------


def stats(b, out=sys.stdout):
    V = b.volunteers
    nv = len(V)
    lat = np.array([v["lat"] for v in V])
    lon = np.array([v["lon"] for v in V])
    trav = np.array([round(1000 * v["travel"]) for v in V])
    maxh = np.array([np.inf if v["max_hours"] is None else v["max_hours"] * HOUR for v in V])
    skills = sorted(
        {s for v in V for s in v["skills"]} | {r[0] for n in b.needs for r in n["roles"]}
    )
    sidx = {s: i for i, s in enumerate(skills)}
    S = np.zeros((nv, len(skills)), dtype=bool)
    for i, v in enumerate(V):
        for s in v["skills"]:
            S[i, sidx[s]] = True
    always = np.array([v["windows"] is None for v in V])
    wo, ws, we = [], [], []
    for i, v in enumerate(V):
        if v["windows"]:
            for s, e in v["windows"]:
                wo.append(i)
                ws.append(s)
                we.append(e)
    wo, ws, we = np.array(wo, dtype=np.int64), np.array(ws), np.array(we)
    pairs = 0
    starved = {p: 0 for p in range(1, 6)}
    with_roles = {p: 0 for p in range(1, 6)}
    demand_h, supply_h = {}, {}
    for n in b.needs:
        if not n["roles"]:
            continue
        dur = n["end"] - n["start"]
        d = np.rint(1000 * hav_km(lat, lon, n["lat"], n["lon"]))
        ok = (d <= trav) & (maxh >= dur)
        fit = always.copy()
        if len(ws):
            fit[wo[(ws <= n["start"]) & (we >= n["end"])]] = True
        ok &= fit
        cols = [sidx[r[0]] for r in n["roles"]]
        cand = ok & S[:, cols].any(axis=1)
        pairs += int(cand.sum())
        with_roles[n["priority"]] += 1
        if any(int((ok & S[:, sidx[s]]).sum()) < m for s, c, m in n["roles"]):
            starved[n["priority"]] += 1
        for s, c, m in n["roles"]:
            demand_h[s] = demand_h.get(s, 0) + m * dur / HOUR
    for v in V:
        for s in v["skills"]:
            supply_h[s] = supply_h.get(s, 0) + (v["max_hours"] or 0) / len(v["skills"])
    print(f"== {b.name}: {b.summary()}", file=out)
    print(f"   candidate volunteer-need pairs: {pairs:,}", file=out)
    print(
        f"   needs with roles by priority: {with_roles}; with a role short of candidates: {starved}",
        file=out,
    )
    print("   skill  min-demand h / supply h (max_hours split evenly over skills):", file=out)
    for s in skills:
        print(f"     {s:18s} {demand_h.get(s, 0):9.0f} / {supply_h.get(s, 0):9.0f}", file=out)
    # venues: needs without any venue candidate
    vneeds = [n for n in b.needs if n["venue"] is not None]
    nocand = (
        sum(1 for n in vneeds if not any(b.venue_ok(u, n) for u in b.venues))
        if len(vneeds) < 20000
        else -1
    )
    print(f"   venue needs {len(vneeds)}, without any venue candidate {nocand}", file=out)
    # funds by category
    fcat, dcat = {}, {}
    for f in b.funds:
        k = ",".join(f["categories"]) or "*"
        fcat[k] = fcat.get(k, 0) + f["amount"] // 100
    for n in b.needs:
        if n["funding"]:
            dcat[n["category"]] = dcat.get(n["category"], 0) + n["funding"] // 100
    print(f"   funds (CNY) by categories: {fcat}", file=out)
    print(f"   funding demand (CNY) by category: {dcat}", file=out)


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def build(name, seed, scale=1):
    idx = NAMES.index(name)
    rng = Rng([seed, idx, scale])
    if name == "yibin":
        return yibin(rng, scale)
    if scale != 1:
        raise SystemExit("--scale applies to yibin only")
    return globals()[name](rng)


def out_path(name, scale, outdir=None):
    if scale == 1:
        return os.path.join(outdir or HERE, f"{name}.json")
    return os.path.join(outdir or os.path.join(HERE, "large"), f"{name}_x{scale}.json")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--only", choices=NAMES, action="append", help="generate only this scenario (repeatable)"
    )
    ap.add_argument(
        "--scale",
        type=int,
        default=1,
        help="yibin only: K times the city (more Sichuan counties); writes large/yibin_xK.json",
    )
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument(
        "--out-dir",
        default=None,
        help="directory to write to (default: scenarios/ or scenarios/large/)",
    )
    ap.add_argument(
        "--stats", action="store_true", help="print tightness figures (slow for big scales)"
    )
    a = ap.parse_args(argv)
    names = a.only or NAMES
    if a.scale != 1 and names != ["yibin"]:
        ap.error("--scale needs --only yibin")
    for name in names:
        t0 = time.time()
        b = build(name, a.seed, a.scale)
        path = out_path(name, a.scale, a.out_dir)
        b.write(path)
        print(
            f"{path}: {b.summary()} [{time.time() - t0:.1f}s, {os.path.getsize(path) / 1e6:.1f} MB]"
        )
        if a.stats:
            stats(b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
