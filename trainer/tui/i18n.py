"""The app's own words in both interface languages, in one table.

Scenario text (debtor lines, briefings, objectives) comes from the content and is
shown as written; this table holds only the interface: labels, buttons, key
descriptions and the names of stages, personas, meters and outcomes. Keeping it
in one place makes a missing translation a failing test instead of a surprise.
"""

from __future__ import annotations

from trainer.scenarios.model import OUTCOME_LABELS
from trainer.services.briefing import BRIEFING_STRINGS
from trainer.vocab import CATEGORY_LABELS

#: Interface languages the trainee can pick, in the order the start screen lists them.
LANGUAGES: tuple[str, ...] = ("zh-CN", "en")

#: key → (zh-CN, en). Values may hold ``{name}`` fields filled by `text`.
STRINGS: dict[str, tuple[str, str]] = {
    # app and start screen
    "app.title": ("催收话术训练", "Collection call trainer"),
    "start.heading": ("欢迎来到催收话术训练", "Welcome to the collection call trainer"),
    "start.intro": (
        "输入您的姓名,选择界面语言和练习方式,然后按 Enter 开始。",
        "Enter your name, pick the interface language and the mode, then press Enter.",
    ),
    "start.name": ("您的姓名", "Your name"),
    "start.name_placeholder": ("例如:王小明", "e.g. Alex Smith"),
    "start.name_missing": ("请先输入您的姓名。", "Please enter your name first."),
    "start.language": ("界面语言", "Interface language"),
    "start.mode": ("练习方式", "Mode"),
    "start.coaching": ("反馈方式", "Feedback"),
    "start.continue": ("开始", "Start"),
    "lang.zh-CN": ("中文", "中文 (Chinese)"),
    "lang.en": ("English", "English"),
    "mode.free": ("自由输入(自己说)", "Free: type lines"),
    "mode.guided": ("引导选择(选话术)", "Guided: pick lines"),
    "mode.free.short": ("自由输入", "free"),
    "mode.guided.short": ("引导选择", "guided"),
    "mode.mixed.short": ("混合", "mixed"),
    "coaching.live": ("实时指导", "Live coaching"),
    "coaching.assessment": ("考核(事后反馈)", "Assessment"),
    "coaching.live.short": ("实时指导", "coaching"),
    "coaching.assessment.short": ("考核", "assessment"),
    # home
    "home.heading": ("{name},选一个通话开始练习", "{name}, pick a call to practise"),
    "home.search": ("搜索标题、类型、难度……", "Search title, persona, difficulty…"),
    "home.suggested": ("建议下一个", "Suggested next"),
    "home.suggested.first": ("从第一个首次联系场景开始", "start with the first first-contact call"),
    "home.suggested.weak": (
        "您最常见的问题是「{category}」,练习这个场景",
        "your most frequent finding is “{category}”: practise this call",
    ),
    "home.suggested.unpassed": ("还没有通过的场景", "a call you have not passed yet"),
    "home.assignments": ("作业", "Assignments"),
    "home.due": ("截止 {due}", "due {due}"),
    "assignment.passed": ("已通过", "passed"),
    "assignment.failed": ("未通过", "failed"),
    "assignment.in progress": ("进行中", "in progress"),
    "assignment.not started": ("未开始", "not started"),
    "assignment.overdue": ("已逾期", "overdue"),
    "home.none": ("没有符合条件的场景。", "No call matches."),
    "home.no_content": (
        "没有可用的场景:内容文件夹为空或有错误。",
        "No scenarios available: the content folder is empty or has errors.",
    ),
    "home.read_only": (
        "数据文件夹只读:通话和设置都不会保存。要保存,请用 --home 指定一个可写的文件夹。({detail})",
        "The data folder is read-only: calls and settings are not saved. To save, start"
        " with --home DIR (a folder you can write to). ({detail})",
    ),
    "briefing.cannot_save": (
        "无法开始通话,因为它无法保存:{detail}",
        "The call cannot start because it cannot be saved: {detail}",
    ),
    "call.export_failed": ("无法导出:{detail}", "Cannot export: {detail}"),
    "home.content_errors": (
        "内容有 {count} 处错误(运行 trainer validate 查看),相关场景未加载。第一处:{first}",
        "{count} content errors (run 'trainer validate'); those calls are not loaded."
        " First: {first}",
    ),
    "home.best": ("最佳 {score}", "best {score}"),
    "home.best.none": ("未练习", "not tried"),
    "home.pass_mark": ("及格 {mark}", "pass {mark}"),
    "home.passed": ("已通过", "passed"),
    # briefing
    "briefing.heading": ("通话前简报", "Briefing"),
    "briefing.persona": ("客户", "Debtor"),
    "briefing.institution": ("机构", "Institution"),
    "briefing.passing": ("及格标准", "What counts as passing"),
    "briefing.passing.text": (
        "得分达到 {mark}/100 即及格;出现任何严重(critical)违规,无论得分多少都不及格。",
        "A score of {mark}/100 or more passes; any critical finding fails the call whatever"
        " the score.",
    ),
    "briefing.start": ("开始通话", "Start the call"),
    # call
    "call.agent": ("我", "Me"),
    "call.debtor": ("客户", "Debtor"),
    "call.input_placeholder": (
        "输入您要说的话,按 Enter 发送(F3 切换为选择话术)",
        "Type what you would say, Enter to send (F3: choose lines instead)",
    ),
    "call.meters": ("客户状态", "Debtor"),
    "call.timer": ("通话时长 {time}", "Call time {time}"),
    "call.turn": ("第\u00a0{turn}\u00a0轮", "turn\u00a0{turn}"),
    "call.hint": ("提示(标准话术)", "Hint (approved line)"),
    "call.hint.none": ("这里没有标准话术提示。", "No approved line for this point."),
    "call.not_understood": ("(客户没听懂您的意思)", "(the debtor did not follow you)"),
    "call.finding.why": ("原因", "why"),
    "call.finding.better": ("建议说法", "say instead"),
    "call.finding.hidden": (
        "考核模式:反馈将在通话结束后显示。",
        "Assessment: feedback after the call.",
    ),
    "call.ended": (
        "通话结束:{outcome}。按 Enter 查看复盘。",
        "Call ended: {outcome}. Press Enter for the debrief.",
    ),
    "call.empty": ("请输入要说的话。", "Type something to say."),
    "call.options": ("选择您要说的话(↑↓ Enter)", "Choose what to say (↑↓ Enter)"),
    "call.no_options": (
        "这里没有可选话术,请用 F3 切换到自由输入。",
        "No lines to choose here; F3 to type freely.",
    ),
    "call.exported": ("已导出通话记录:{path}", "Transcript exported: {path}"),
    "call.mode_now": ("现在是{mode}模式", "Now in {mode} mode"),
    "call.coaching_now": ("反馈方式:{coaching}", "Feedback: {coaching}"),
    "call.no_grader": (
        "合规规则未能加载,本次通话没有合规反馈(运行 trainer rules test 查看原因)。",
        "The rulebook could not be loaded: no compliance feedback in this call"
        " (run 'trainer rules test').",
    ),
    "call.resumed": ("已恢复未完成的通话。", "Resumed an interrupted call."),
    # debrief
    "debrief.heading": ("复盘", "Debrief"),
    "debrief.outcome": ("结果", "Outcome"),
    "debrief.score": ("得分", "Score"),
    "debrief.score.none": ("(评分卡暂不可用)", "(scorecard not available)"),
    "debrief.passed": ("及格", "PASSED"),
    "debrief.failed": ("不及格", "FAILED"),
    "debrief.hard_fail": ("严重违规,一票否决", "a critical finding fails the call"),
    "debrief.checks": ("检查项", "Checks"),
    "debrief.check.met": ("达成", "met"),
    "debrief.check.missed": ("未达成", "missed"),
    "debrief.check.turn": ("第\u00a0{turn}\u00a0轮:", "turn\u00a0{turn}: "),
    "debrief.findings": ("违规与更好的说法", "Findings and better wording"),
    "debrief.findings.none": ("没有违规。", "No findings."),
    "debrief.missed_moves": ("可以补上的步骤", "Moves you could have made"),
    "debrief.poor": ("较差的选择", "Poor choices"),
    "debrief.poor.points": ("扣 {points} 分", "−{points} points"),
    "debrief.transcript": ("完整通话记录", "Full transcript"),
    "debrief.duration": ("用时 {time}", "took {time}"),
    "debrief.retry": ("重练", "Retry"),
    "debrief.next": ("下一个", "Next"),
    # history
    "history.heading": ("{name} 的练习记录", "{name}'s practice history"),
    "history.chart": ("得分走势", "Scores over time"),
    "history.best_last": ("(最高 {best},最近 {last})", "(max {best}, last {last})"),
    "history.none": ("还没有练习记录。", "No sessions yet."),
    "history.no_scores": (
        "还没有得分(完成并评分的通话才会计入)。",
        "No scores yet: finished, scored calls appear here.",
    ),
    "history.col.when": ("时间", "When"),
    "history.col.scenario": ("场景", "Call"),
    "history.col.mode": ("方式", "Mode"),
    "history.col.outcome": ("结果", "Outcome"),
    "history.col.score": ("得分", "Score"),
    "history.col.status": ("状态", "Status"),
    "history.status.finished": ("已完成", "finished"),
    "history.status.in_progress": ("未完成", "interrupted"),
    "history.status.abandoned": ("已放弃", "abandoned"),
    "history.replay": ("回放", "Replay"),
    "history.resume_hint": ("未完成的通话按 r 继续", "r resumes an interrupted call"),
    "history.not_finished": (
        "这次通话未完成,按 r 继续。",
        "This call is not finished: press r to resume.",
    ),
    # help
    "help.heading": ("快捷键", "Keys"),
    "help.intro": (
        "所有操作都可以用键盘完成。Ctrl+P 打开命令面板。",
        "Everything works from the keyboard. Ctrl+P opens the command palette.",
    ),
    "help.close": ("按 Esc 关闭", "Esc closes this"),
    # key descriptions (footer and help)
    "key.quit": ("退出", "Quit"),
    "key.help": ("帮助", "Help"),
    "key.back": ("返回", "Back"),
    "key.history": ("记录", "History"),
    "key.search": ("搜索", "Search"),
    "key.suggested": ("建议场景", "Suggested"),
    "key.all_locales": ("全部语言", "All languages"),
    "key.start_call": ("开始", "Start"),
    "key.hint": ("提示", "Hint"),
    "key.mode": ("方式", "Mode"),
    "key.coaching": ("反馈", "Coaching"),
    "key.export": ("导出", "Export"),
    "key.hangup": ("挂断", "Hang up"),
    "key.retry": ("重练", "Retry"),
    "key.next": ("下一个", "Next"),
    "key.home": ("场景列表", "Calls"),
    "key.resume": ("继续", "Resume"),
    "key.open": ("打开", "Open"),
    "key.theme": ("明/暗", "Light/dark"),
    "key.debrief": ("复盘", "Debrief"),
    "key.palette": ("命令面板", "palette"),
    # command palette
    "cmd.start": ("开始场景:{title}", "Start call: {title}"),
    "cmd.start.help": ("打开这个场景的简报", "Open this call's briefing"),
    "cmd.mode": ("切换练习方式(自由/引导)", "Switch mode (free / guided)"),
    "cmd.mode.help": ("自由输入与选择话术之间切换", "Between typing and choosing lines"),
    "cmd.coaching": ("切换实时指导/考核模式", "Toggle coaching (live / assessment)"),
    "cmd.coaching.help": (
        "考核模式在结束前隐藏反馈",
        "Assessment hides feedback until the debrief",
    ),
    "cmd.export": ("导出当前通话记录(JSONL)", "Export transcript as JSONL"),
    "cmd.export.help": ("写入数据文件夹下的 exports/", "Written to exports/ in the data folder"),
    "cmd.palette": ("命令面板", "Command palette"),
    "cmd.history": ("打开练习记录", "Open history"),
    "cmd.history.help": ("历次得分与回放", "Past scores and replays"),
    "cmd.home": ("回到场景列表", "Back to the list of calls"),
    "cmd.home.help": ("选择另一个场景", "Pick another call"),
    "cmd.theme": ("切换明/暗主题", "Toggle light / dark theme"),
    "cmd.theme.help": ("会被记住", "Remembered for next time"),
    "cmd.nothing_to_export": ("没有可导出的通话。", "No call to export."),
    "cmd.search": ("搜索命令……", "Search for commands…"),
    "cmd.themes": ("选择主题", "Choose a theme"),
    "cmd.themes.help": ("所有配色主题(会被记住)", "Every colour theme (remembered)"),
    "cmd.quit": ("退出", "Quit"),
    "cmd.quit.help": ("关闭程序;通话记录已保存", "Close the app; calls are already saved"),
    "cmd.keys": ("按键帮助", "Keys"),
    "cmd.keys.help": ("本屏幕的所有按键(F1)", "Every key of this screen (F1)"),
    "cmd.maximize": ("最大化", "Maximize"),
    "cmd.maximize.help": ("放大当前焦点所在的区域", "Maximize the focused area"),
    "cmd.minimize": ("还原", "Minimize"),
    "cmd.minimize.help": ("恢复正常大小", "Back to the normal size"),
    "cmd.screenshot": ("截图", "Screenshot"),
    "cmd.screenshot.help": (
        "把当前屏幕存为 SVG,写入数据文件夹下的 screenshots/",
        "Save the screen as SVG in screenshots/ in the data folder",
    ),
    "cmd.screenshot.saved": ("截图已保存:{path}", "Screenshot saved: {path}"),
    "cmd.screenshot.failed": ("截图未保存:{detail}", "Screenshot not saved: {detail}"),
    # stages of the programme
    "stage.first_contact": ("首次联系", "First contact"),
    "stage.repeat_contact": ("再次联系", "Repeat contact"),
    "stage.third_party": ("第三人联系", "Third party"),
    "stage.special": ("特殊账户", "Special accounts"),
    # call stages
    "callstage.opening": ("开场", "opening"),
    "callstage.verification": ("核身", "verification"),
    "callstage.purpose": ("说明来意", "purpose"),
    "callstage.reason": ("逾期原因", "reason"),
    "callstage.negotiation": ("协商", "negotiation"),
    "callstage.promise": ("承诺还款", "promise"),
    "callstage.close": ("结束", "close"),
    # persona types
    "persona.honest_forgetful": ("诚信健忘型", "honest, forgot"),
    "persona.loud_anxious": ("色厉内荏型", "loud but anxious"),
    "persona.staller": ("敷衍拖沓型", "staller"),
    "persona.evader": ("恶意透支型", "evader"),
    "persona.hardship": ("经济困难型", "hardship"),
    "persona.identity_dispute": ("冒名/争议型", "identity dispute"),
    "persona.complainer": ("投诉型", "complainer"),
    "persona.third_party": ("第三人", "third party"),
    # difficulty
    "difficulty.easy": ("易", "easy"),
    "difficulty.medium": ("中", "medium"),
    "difficulty.hard": ("难", "hard"),
    # meters
    "meter.trust": ("信任", "trust"),
    "meter.patience": ("耐心", "patience"),
    "meter.anger": ("怒气", "anger"),
    # outcomes (named in the scenario model, shared with the command line's debrief)
    **{f"outcome.{name}": names for name, names in OUTCOME_LABELS.items()},
    # finding categories
    **{f"category.{name}": names for name, names in CATEGORY_LABELS.items()},
    # severities
    "severity.critical": ("严重", "critical"),
    "severity.major": ("较重", "major"),
    "severity.minor": ("轻微", "minor"),
    "severity.review": ("待复核", "review"),
    # quality of guided options
    "quality.best": ("最佳", "best"),
    "quality.acceptable": ("可以", "acceptable"),
    "quality.poor": ("欠妥", "poor"),
    # the account card, shared with `trainer play`
    **BRIEFING_STRINGS,
}


def normalize_language(value: str | None) -> str:
    """Map a stored or typed language (``en-US``, ``zh``, ``None``) to one of `LANGUAGES`."""
    if value and value.lower().startswith("en"):
        return "en"
    return "zh-CN"


def text(language: str, key: str, **fields: object) -> str:
    """The interface string ``key`` in ``language``, with ``{fields}`` filled.

    An unknown key comes back as the key itself, so a gap is visible on screen
    (and caught by the i18n test) instead of crashing the app.
    """
    pair = STRINGS.get(key)
    if pair is None:
        return key
    template = pair[1] if normalize_language(language) == "en" else pair[0]
    return template.format(**fields) if fields else template


def label(language: str, family: str, value: str) -> str:
    """A vocabulary value's name (``stage``, ``persona``, ``outcome``…), or the value itself."""
    key = f"{family}.{value}"
    return text(language, key) if key in STRINGS else value
