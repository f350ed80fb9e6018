"""Benchmark ``trainer audit`` against the floor for this job in Python.

Generates a transcript corpus (JSONL, default 300,000 records: agent and
customer turns of many calls, mostly compliant wording with about 3 % of
violations), where by default no text appears twice (names, banks, amounts,
dates and wording vary), then measures, each as a whole process, interleaved
run by run so that a change in the machine's load hits every row alike:

* the floor: read the file, ``json.loads`` every line and scan each text once
  with one Aho–Corasick automaton of ~200 keywords;
* ``trainer audit`` with one worker, and with ``--jobs`` = the available CPUs.

Each row gives the median of ``--repeat`` runs (default 5) of wall-clock time,
CPU time (user + system, of the process and its workers: on a shared machine
the steadier figure) and peak memory (the largest resident set of the process
or of one worker), and the ratios to the floor of the same run.

Usage::

    python benchmarks/audit_bench.py                      # 300,000 distinct records
    python benchmarks/audit_bench.py --corpus repeated    # the earlier corpus (76 % repeats)
    python benchmarks/audit_bench.py --records 3000000 --only 1 --repeat 1   # memory at 3M
    python benchmarks/audit_bench.py --records 50000 --keep corpus.jsonl

Goal: audit within 3x of the floor, peak memory at most 150 MB at any size.

Last measured (commit 96a08ba, ``--baseline`` a checkout of ccd8b8e, the two cores
shared with other jobs: load average 8-13, so wall times are 3-4x an idle run)::

    corpus: 300,000 distinct records, 77.2 MB, 2 CPU(s)
    run                              wall s  x floor    CPU s  x floor   records/s  peak MB
    floor (json + 1 automaton)         4.70     1.00     1.19     1.00      63,815       14
    baseline --jobs 1                 39.44     8.39    17.16    14.38       7,607      226
    trainer audit --jobs 1            60.87    12.95    14.26    11.95       4,929      102
    trainer audit --jobs 2            43.80     9.32    15.62    13.09       6,849       89
    findings: 39,031 in 157,924 agent utterances

    corpus: 300,000 repeated records, 64.3 MB, 2 CPU(s)
    floor (json + 1 automaton)         4.40     1.00     1.11     1.00      68,182       14
    baseline --jobs 1                 32.72     7.44     5.91     5.34       9,170      173
    trainer audit --jobs 1            41.86     9.51     5.45     4.93       7,167       92
    trainer audit --jobs 2            31.62     7.19     5.91     5.34       9,487       79
    findings: 22,418 in 157,916 agent utterances

    3,000,000 distinct records (792 MB), --jobs 1: 141 s CPU, peak 129 MB

    commit 147d8af, --baseline ccd8b8e, load average 1.7 before, 2.7 after:
    corpus: 300,000 distinct records, 77.2 MB, 2 CPU(s)
    floor (json + 1 automaton)         1.55     1.00     1.35     1.00     193,766       14
    baseline --jobs 1                 18.91    12.21    17.11    12.71      15,865      226
    trainer audit --jobs 1            16.09    10.39    15.18    11.27      18,644      106
    trainer audit --jobs 2            14.92     9.64    15.54    11.55      20,107       89
    3,000,000 distinct records, --jobs 1: 159 s CPU, peak 111 MB

    commit 147d8af, --repeat 3, load average 5.4 before, 4.8 after:
    corpus: 300,000 distinct records, 77.2 MB, 2 CPU(s)
    floor (json + 1 automaton)         2.11     1.00     1.41     1.00     142,206       14
    trainer audit --jobs 1            25.40    12.04    17.11    12.16      11,813      106
    trainer audit --jobs 2            26.16    12.40    18.44    13.10      11,470       90

    garbage collector paused and rulebooks frozen, --baseline 9d7ec61, load 3.9 to 2.0:
    corpus: 300,000 distinct records, 77.2 MB, 2 CPU(s)
    floor (json + 1 automaton)         3.10     1.00     1.53     1.00      96,643       14
    baseline --jobs 1                 25.74     8.29    20.60    13.44      11,653      111
    trainer audit --jobs 1            24.84     8.00    18.33    11.96      12,079      110
    trainer audit --jobs 2            26.45     8.52    19.46    12.69      11,344       93
    findings: 39,040 in 157,924 agent utterances
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The README's earlier corpus (``--corpus repeated``): a dozen template lines with a
# few slots, so about three quarters of the agent lines repeat word for word and
# the audit's memo of graded lines hides most of the grading cost.
AGENT_OK = [
    "您好,我是XX银行信用卡中心的{name}经理,工号{id},本次通话会被录音。",
    "请问是{name}{given}先生本人吗?",
    "您目前欠款{amount}元,最低还款额是{minimum}元。",
    "如果长期不还,我们可能会依法通过诉讼途径处理。",
    "逾期信息会按规定报送征信系统。",
    "请通过银行官方App或柜台还款。",
    "您看明天上午十点方便吗?",
    "我理解您的难处,我们可以帮您申请个性化分期。",
    "那我跟您确认一下:{day}前通过官方App还款{minimum}元,对吗?",
    "感谢您的配合,祝您生活愉快,再见。",
    "请问您这个月逾期是什么原因呢?",
    "我们不是公安局,也不是法院,您可以拨打官方客服核实我的身份。",
]
AGENT_BAD = [
    "我是公 安 局经侦大队的,请你配合调查。",
    "你这种老赖就是社会垃圾。",
    "你已经被法院立案了,明天警察上门抓人。",
    "你先转到我个人微信,我帮你处理。",
    "再不还就发到你们小区业主群。",
    "今天还了我保证删掉你的征信记录。",
    "我是法yuan的工作人员。",
]
CUSTOMER = [
    "喂?",
    "是我,什么事?",
    "我最近失业了,手头很紧。",
    "我下周发工资就还。",
    "你们再打我就报警了。",
    "好的,我知道了。",
    "能不能少还一点?",
    "我在开车,晚点再说。",
]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"]
GIVEN = ["明", "伟", "芳", "娜", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛"]
DAYS = ["本周五", "下周一", "本月25日", "明天", "后天", "月底"]

# The distinct corpus (the default): every line is built from an opening, a body
# and a closing picked independently, with names, banks, amounts, dates and
# times that vary, and no text appears twice in the file (real transcripts
# rarely repeat, so a benchmark that repeats measures the memo, not the grader).
BANKS = ["华信银行", "XX银行", "中联银行", "东方银行", "民泰银行", "安和银行", "金桥银行"]
UNITS = ["信用卡中心", "个贷中心", "客户服务部", "贷后管理部", "催收外包服务中心"]
OPEN = [
    "您好,",
    "{name}先生您好,",
    "{name}女士,",
    "喂,您好,",
    "打扰您一下,",
    "不好意思,",
    "",
    "嗯,",
    "好的,",
    "是这样的,",
]
BODY_OK = [
    "我是{bank}{unit}的{name}{given},工号{id},本次通话会被录音",
    "请问是{name}{given}本人吗",
    "为了核实身份,麻烦您报一下身份证后{digits}位",
    "您的账户目前欠款{amount}元,其中最低还款额{minimum}元",
    "截至{month}月{date}日,您已经逾期{overdue}天了",
    "逾期信息会按规定报送征信系统,可能影响您以后办理{product}",
    "如果长期不处理,我们可能会依法通过诉讼途径解决",
    "您可以通过{bank}官方App、网银或者柜台还款",
    "您看{day}{hour}点方便吗,我再给您回个电话",
    "我理解您{hardship}的难处,我们可以帮您申请个性化分期",
    "那我跟您确认一下:{day}前通过官方App还款{minimum}元,对吗",
    "我们可以分{periods}期,每期大约{per}元",
    "请问您{month}月份没有按时还款是什么原因呢",
    "我们不是公安局,也不是法院,您可以拨打{bank}官方客服核实我的身份",
    "您上次说{day}还{minimum}元,后来是遇到什么情况了吗",
    "这笔{amount}元的欠款,利息每天大约{interest}元",
    "如果对账单有疑问,可以先提出异议,我们记录下来{days}个工作日内回复您",
    "您方便的话,{day}{hour}点之后我们再联系您",
    "您刚才说的{hardship}的情况,我已经帮您备注了",
    "感谢您的配合,祝您{wish},再见",
]
BODY_BAD = [
    "我是{city}公 安 局经侦大队的,请你{day}之前配合调查",
    "你这种老赖就是社会垃圾,欠{amount}元还装死",
    "你已经被法院立案了,{day}警察上门抓人",
    "你先把{minimum}元转到我个人微信,我帮你处理",
    "再不还{amount}元就发到你们小区业主群",
    "今天还了{minimum}元我保证删掉你的征信记录",
    "我是{city}法yuan的工作人员,你的案子{day}开庭",
    "你要是{day}还不还,我们就天天打给你{relation}",
    "你{relation}也欠了钱吧,我跟他说说你欠{amount}元的事",
    "不还钱就让你全家在{city}都抬不起头",
    "我们的人{day}会去你单位找你领导谈谈这{amount}元",
]
CLOSE = ["。", "?", "!", "…", "。好吧?", ",您看行吗?", ",明白吗?", "。", "。"]
CUSTOMER_PARTS = [
    "喂?",
    "是我,什么事",
    "我最近{hardship},手头很紧",
    "我{day}发工资就还{minimum}元",
    "你们再打我就报警了",
    "好的,我知道了,{day}再说",
    "能不能少还一点,{minimum}行不行",
    "我在开车,{hour}点以后再打",
    "我已经还了{minimum}元了啊",
    "你是哪个{unit}的?工号多少",
]
CITIES = ["北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "西安", "南京", "长沙"]
HARDSHIP = ["失业", "生病住院", "生意周转不开", "家里有老人要照顾", "工资被拖欠", "刚做完手术"]
PRODUCTS = ["房贷", "车贷", "信用卡", "经营贷"]
RELATIONS = ["爸妈", "老婆", "同事", "邻居", "朋友", "孩子老师"]
WISHES = ["生活愉快", "工作顺利", "身体健康", "一切顺利"]
FLOOR = """
import json, sys, ahocorasick
words = json.loads(sys.argv[2])
automaton = ahocorasick.Automaton()
for i, word in enumerate(words):
    automaton.add_word(word, i)
automaton.make_automaton()
hits = 0
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        record = json.loads(line)
        for _ in automaton.iter(record["text"]):
            hits += 1
print(hits)
"""


def generate(path: Path, records: int, seed: int = 7, distinct: bool = True) -> None:
    """Write ``records`` transcript records to ``path`` (distinct texts unless told not to)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    make = _distinct_text if distinct else _repeated_text
    with path.open("w", encoding="utf-8") as out:
        call = turn = 0
        for i in range(records):
            if turn == 0 or rng.random() < 0.1:
                call += 1
                turn = 0
            turn += 1
            speaker = "agent" if turn % 2 == 1 else "customer"
            text = make(rng, speaker)
            while distinct and text in seen:
                text = make(rng, speaker)
            if distinct:
                seen.add(text)
            record = {
                "id": f"r{i}",
                "call_id": f"c{call}",
                "turn": turn,
                "speaker": speaker,
                "text": text,
                "party": "debtor",
                "verified": turn > 1,
                "time": f"2025-03-01T10:{turn % 60:02d}:00+08:00",
                "lang": "zh-CN",
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _slots(rng: random.Random) -> dict[str, object]:
    amount = rng.randint(500, 90_000)
    return {
        "name": rng.choice(SURNAMES),
        "given": rng.choice(GIVEN),
        "id": rng.randint(1000, 9999),
        "amount": f"{amount:,}",
        "minimum": amount // 10,
        "day": rng.choice(DAYS),
        "bank": rng.choice(BANKS),
        "unit": rng.choice(UNITS),
        "digits": rng.choice([4, 6]),
        "month": rng.randint(1, 12),
        "date": rng.randint(1, 28),
        "overdue": rng.randint(3, 400),
        "product": rng.choice(PRODUCTS),
        "hour": rng.randint(8, 20),
        "hardship": rng.choice(HARDSHIP),
        "periods": rng.choice([3, 6, 12, 24, 36]),
        "per": amount // rng.choice([3, 6, 12, 24, 36]),
        "interest": round(amount * 0.0005, 2),
        "days": rng.randint(3, 15),
        "wish": rng.choice(WISHES),
        "city": rng.choice(CITIES),
        "relation": rng.choice(RELATIONS),
    }


def _repeated_text(rng: random.Random, speaker: str) -> str:
    """One line of the repeated corpus (the generator the README first measured)."""
    if speaker != "agent":
        return rng.choice(CUSTOMER)
    text = rng.choice(AGENT_BAD) if rng.random() < 0.03 else rng.choice(AGENT_OK)
    amount = rng.randint(500, 90_000)
    return text.format(
        name=rng.choice(SURNAMES),
        given=rng.choice(GIVEN),
        id=rng.randint(1000, 9999),
        amount=f"{amount:,}",
        minimum=amount // 10,
        day=rng.choice(DAYS),
    )


def _distinct_text(rng: random.Random, speaker: str) -> str:
    """One line of the distinct corpus: about 3 % of agent lines are violations."""
    slots = _slots(rng)
    if speaker != "agent":
        parts = rng.sample(CUSTOMER_PARTS, rng.choice([1, 1, 2]))
        return ",".join(p.format(**slots) for p in parts) + rng.choice(CLOSE)
    bodies = [rng.choice(BODY_OK)]
    if rng.random() < 0.4:
        bodies.append(rng.choice(BODY_OK))
    if rng.random() < 0.03:
        bodies.insert(rng.randrange(len(bodies) + 1), rng.choice(BODY_BAD))
    body = ",".join(b.format(**slots) for b in bodies)
    return rng.choice(OPEN).format(**slots) + body + rng.choice(CLOSE)


def keywords() -> list[str]:
    """About 200 keywords: the shipped rulebook's triggers, padded with common words."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from trainer.grading import load_rulebook

    words = sorted({t for rule in load_rulebook("zh-CN").rules for t in rule.triggers})
    filler = ["客户", "银行", "信用卡", "还款", "电话", "时间", "金额", "分期", "利息", "征信"]
    while len(words) < 200:
        words.append(filler[len(words) % len(filler)] + str(len(words)))
    return words[:200]


def measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MB of a whole process (output discarded).

    CPU and memory come from ``wait4`` (the process and the workers it waited for).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = 0  # reaped by wait4
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument(
        "--corpus",
        choices=("distinct", "repeated"),
        default="distinct",
        help="distinct lines (default) or the earlier corpus of a dozen templates",
    )
    parser.add_argument("--keep", metavar="FILE", help="write the corpus here and keep it")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument(
        "--only", type=int, metavar="JOBS", help="measure the floor and this --jobs only"
    )
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="also time one worker of the trainer in DIR (a checkout of an earlier commit)",
    )
    parser.add_argument("--prepare", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:  # in a child process (see below): the corpus and the floor's words
        generate(Path(args.prepare), args.records, distinct=args.corpus == "distinct")
        Path(args.prepare + ".words").write_text(json.dumps(keywords(), ensure_ascii=False))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    corpus = Path(args.keep) if args.keep else folder / "corpus.jsonl"
    # Linux counts the peak memory of the parent at fork in a child's ru_maxrss,
    # so this process stays small: the corpus is made in a child process.
    prepare = [sys.executable, __file__, "--records", str(args.records), "--corpus", args.corpus]
    subprocess.run([*prepare, "--prepare", str(corpus)], check=True)
    size = corpus.stat().st_size
    words = Path(str(corpus) + ".words").read_text(encoding="utf-8")
    trainer = [
        sys.executable,
        "-m",
        "trainer",
        "audit",
        str(corpus),
        "--format",
        "json",
        "--fail-on",
        "never",
        "-o",
        str(folder / "report.json"),
    ]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    floor_name = "floor (json + 1 automaton)"
    runs = {floor_name: [sys.executable, "-c", FLOOR, str(corpus), words]}
    envs: dict[str, dict[str, str]] = {}
    if args.baseline:
        # -P: the checkout on PYTHONPATH, never this folder's trainer
        runs["baseline --jobs 1"] = [sys.executable, "-P", *trainer[1:], "--jobs", "1"]
        envs["baseline --jobs 1"] = {**os.environ, "PYTHONPATH": str(Path(args.baseline))}
    for jobs in [args.only] if args.only else sorted({1, cpus}):
        runs[f"trainer audit --jobs {jobs}"] = [*trainer, "--jobs", str(jobs)]
    print(
        f"corpus: {args.records:,} {args.corpus} records, {size / 1e6:.1f} MB, {cpus} CPU(s); "
        f"load average before: {os.getloadavg()[0]:.2f}"
    )
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, cmd in runs.items():
            samples[name].append(measured(cmd, envs.get(name)))
    wall = {name: statistics.median(s[0] for s in got) for name, got in samples.items()}
    cpu = {name: statistics.median(s[1] for s in got) for name, got in samples.items()}
    peak = {name: max(s[2] for s in got) for name, got in samples.items()}
    print(
        f"{'run':<30}{'wall s':>9}{'x floor':>9}{'CPU s':>9}{'x floor':>9}"
        f"{'records/s':>12}{'peak MB':>9}"
    )
    for name in runs:
        print(
            f"{name:<30}{wall[name]:>9.2f}{wall[name] / wall[floor_name]:>9.2f}"
            f"{cpu[name]:>9.2f}{cpu[name] / cpu[floor_name]:>9.2f}"
            f"{args.records / wall[name]:>12,.0f}{peak[name]:>9.0f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    print(
        f"findings: {report['summary']['findings']:,} in {report['summary']['audited']:,} "
        f"agent utterances"
    )
    shutil.rmtree(folder)  # the corpus (unless --keep put it elsewhere) and the report
    if args.keep:
        Path(str(corpus) + ".words").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
