"""Chinese personal names, drawn with realistic surname frequencies (vectorised)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# The most common surnames with approximate shares (per cent of the population).
_SURNAMES = (
    "王7.1 李7.0 张6.5 刘5.3 陈4.8 杨3.1 黄2.2 赵2.1 吴2.0 周1.9 徐1.6 孙1.5 马1.5 朱1.3 胡1.3 "
    "郭1.2 何1.2 林1.1 高1.1 罗1.1 郑1.0 梁0.9 谢0.8 宋0.8 唐0.8 许0.7 韩0.7 冯0.7 邓0.7 曹0.7 "
    "彭0.6 曾0.6 肖0.6 田0.6 董0.6 潘0.5 袁0.5 蔡0.5 蒋0.5 余0.5 于0.5 杜0.5 叶0.5 程0.5 魏0.4 "
    "苏0.4 吕0.4 丁0.4 任0.4 卢0.4 姚0.4 沈0.4 钟0.4 姜0.4 崔0.4 谭0.4 陆0.3 范0.3 汪0.3 廖0.3 "
    "石0.3 金0.3 韦0.3 贾0.3 夏0.3 付0.3 方0.3 邹0.3 熊0.3 白0.3 孟0.3 秦0.3 邱0.3 侯0.3 江0.3 "
    "尹0.3 薛0.2 闫0.2 段0.2 雷0.2 龙0.2 黎0.2 史0.2 陶0.2 贺0.2 毛0.2 郝0.2 顾0.2 龚0.2 邵0.2 "
    "万0.2 覃0.2 武0.2 钱0.2 戴0.2 严0.2 莫0.2 孔0.2 向0.2 常0.2 欧阳0.05 司马0.01 诸葛0.01 上官0.01"
).split()
SURNAMES = [s.rstrip("0123456789.") for s in _SURNAMES]
SURNAME_P = np.array([float(s[len(n) :]) for s, n in zip(_SURNAMES, SURNAMES, strict=True)])
SURNAME_P = SURNAME_P / SURNAME_P.sum()
GIVEN_CHARS = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌浩宇欣怡子涵梓轩雨"
    "婷佳慧晨思琪嘉诚俊凯鑫博瑞宏志坚海波亮辉晓燕颖倩雪琳然宁安康乐春夏秋冬梅松竹林峰"
)


def draw_names(rng: np.random.Generator, n: int) -> pa.Array:
    """n names: a surname plus one (30%) or two given characters."""
    surnames = pa.array(SURNAMES).take(pa.array(rng.choice(len(SURNAMES), n, p=SURNAME_P)))
    chars = pa.array(GIVEN_CHARS)
    first = chars.take(pa.array(rng.integers(0, len(GIVEN_CHARS), n)))
    second = chars.take(pa.array(rng.integers(0, len(GIVEN_CHARS), n)))
    second = pc.if_else(pa.array(rng.random(n) < 0.3), "", second)
    return pc.binary_join_element_wise(surnames, first, second, "")
