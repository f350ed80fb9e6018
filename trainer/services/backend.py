"""The app's single door to content, engine, grader and store.

Screens are controllers: they ask this object for plain data (scenarios, past
sessions, debriefs) and for engine sessions, and never open files or databases
themselves. One object per app keeps the rulebooks compiled once and the
database opened once, and lets tests point the whole app at a temporary home.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.diagnostics import ContentError, Diagnostic
from trainer.records import StoreError
from trainer.records.dberrors import read_only_message
from trainer.scenarios.model import Scenario
from trainer.services.debrief_view import DebriefView, debrief_for
from trainer.vocab import CALL_STAGES

if TYPE_CHECKING:
    from trainer.engine.session import Session
    from trainer.grading.rulebook import Rulebook
    from trainer.records import SessionRecord
    from trainer.records.classroom import TraineeStore
    from trainer.records.sqlbase import SqlStore
    from trainer.scenarios.loader import ContentSet
    from trainer.services.classroom import Standing

#: Programme stages in the order the home screen lists them.
STAGE_ORDER: tuple[str, ...] = ("first_contact", "repeat_contact", "third_party", "special")
DIFFICULTY_ORDER: dict[str, int] = {"easy": 0, "medium": 1, "hard": 2}

#: Settings keys kept in the store's settings table.
SETTING_NAME = "trainee"
SETTING_LANGUAGE = "language"
SETTING_MODE = "mode"
SETTING_THEME = "theme"
SETTING_COACHING = "coaching"


@dataclass(frozen=True)
class PastSession:
    """One row of the history: a stored session with its debrief score when finished."""

    id: str
    scenario_id: str
    title: str
    started_at: str
    mode: str
    status: str
    outcome: str | None
    score: int | None
    passed: bool | None


class Backend:
    """Content, grader, store and settings for one run of the app."""

    def __init__(
        self,
        content: ContentSet | Future[tuple[ContentSet, list[Diagnostic]]],
        store: SqlStore | TraineeStore,
        *,
        diagnostics: list[Diagnostic] | None = None,
        clock: Callable[[], datetime] = datetime.now,
        seed: int | None = None,
        home: Path | None = None,
        rulebooks: dict[str, str | Path] | None = None,
    ) -> None:
        self._pending = content if isinstance(content, Future) else None
        self._content = None if isinstance(content, Future) else content
        self.store = store
        self._diagnostics = diagnostics or []
        self.clock = clock
        self.home = home
        self._seed = seed
        self._random = random.Random(seed)
        self._rulebooks: dict[str, Rulebook | None] = {}
        self._rulebook_sources: dict[str, str | Path] = dict(rulebooks or {})
        self._debriefs: dict[str, DebriefView] = {}
        #: Whether each scenario may be played (no R312 pattern), by object: the home
        #: screen asks for the list on every redraw. The scenario is kept with its
        #: verdict so that its id is never reused by another object.
        self._playable: dict[int, tuple[Scenario, bool]] = {}
        #: Settings that could not be saved (a read-only data folder): kept for this run.
        self._unsaved: dict[str, str] = {}
        #: The class member signed in with a token (their name is fixed), or None.
        self.signed_in: str | None = None
        #: The class of that member.
        self.signed_in_class: str | None = None
        #: Why nothing can be saved (one line naming the database), or None.
        self.save_problem: str | None = (
            read_only_message(store.path) if getattr(store, "read_only", False) else None
        )

    @property
    def content(self) -> ContentSet:
        """The loaded content; waits for the background load on first use."""
        if self._content is None:
            assert self._pending is not None
            try:
                self._content, found = self._pending.result()
            except (OSError, ContentError) as exc:  # e.g. the shipped content is missing
                from trainer.scenarios.loader import ContentSet

                self._content = ContentSet()
                found = getattr(exc, "diagnostics", None) or [
                    Diagnostic("content", 1, 1, "Y100", str(exc), "reinstall trainer")
                ]
            self._diagnostics = found + self._diagnostics
        return self._content

    def ready(self) -> bool:
        """True once the content is loaded (reading `content` will not wait)."""
        return self._content is not None or (self._pending is not None and self._pending.done())

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Problems found in the content and rulebooks (errors and warnings)."""
        _ = self.content
        return self._diagnostics

    @classmethod
    def open(
        cls,
        home: str | Path | None = None,
        content_paths: list[Path] | None = None,
        *,
        clock: Callable[[], datetime] = datetime.now,
        seed: int | None = None,
        rulebooks: dict[str, str | Path] | None = None,
        store_url: str | None = None,
        token: str | None = None,
    ) -> Backend:
        """Load the content (shipped by default) and open the store: ``store_url``
        (``--store``, else ``$TRAINER_STORE``), else the SQLite file under ``home``.

        ``rulebooks`` maps a locale to a rulebook name or file to grade with
        instead of the shipped one (tests use a frozen rulebook). ``token``: a class
        member's sign-in token; the app then sees and saves only that trainee's
        sessions and settings, under the member's name (StoreError when not valid).
        """
        from trainer.paths import home_dir
        from trainer.records.classroom import TraineeStore
        from trainer.records.stores import open_store

        folder = home_dir(home)
        opened = open_store(store_url, folder)
        store: SqlStore | TraineeStore = opened
        signed_in = signed_in_class = None
        if token:
            member = opened.member_for_token(token)
            if member is None:
                opened.close()
                raise StoreError(
                    "the sign-in token is not valid (ask the instructor for a new one)"
                )
            signed_in = member.name
            store = TraineeStore(opened, member.name)
            signed_in_class = member.class_name
        # Loading the content takes a few seconds on a large tree: do it in the
        # background while the trainee reads the start screen.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trainer-content")
        pending = pool.submit(_load_for_app, content_paths or None)
        pool.shutdown(wait=False)
        backend = cls(
            pending,
            store,
            clock=clock,
            seed=seed,
            home=folder,
            rulebooks=rulebooks,
        )
        backend.signed_in = signed_in
        backend.signed_in_class = signed_in_class
        return backend

    def assignments(self) -> list[Standing]:
        """The signed-in member's assignments and where they stand (none when nobody
        is signed in)."""
        from trainer.records.classroom import TraineeStore
        from trainer.scoring.saved import Scorer
        from trainer.services.classroom import standing

        store = self.store
        if self.signed_in_class is None or not isinstance(store, TraineeStore):
            return []
        scorer = Scorer(self.content)
        return [
            standing(work, store.trainee, store, scorer)
            for work in store.store.assignments(self.signed_in_class)
        ]

    # ------------------------------------------------------------ settings

    def setting(self, key: str, default: str = "") -> str:
        """One of the trainee's remembered settings."""
        if key == SETTING_NAME and self.signed_in is not None:
            return self.signed_in
        if key in self._unsaved:
            return self._unsaved[key]
        value = self.store.get_setting(key, default)
        return default if value is None else value

    def remember(self, key: str, value: str) -> None:
        """Save a setting (name, language, mode, theme, coaching).

        When the data folder cannot be written the setting is kept for this run only
        and `save_problem` says why: a trainee on a read-only home can still practise.
        A signed-in member's name comes from their token and is not changed here.
        """
        if key == SETTING_NAME and self.signed_in is not None:
            return
        if self.save_problem is None:
            try:
                self.store.set_setting(key, value)
                return
            except StoreError as exc:
                self.save_problem = str(exc)
        self._unsaved[key] = value

    # ------------------------------------------------------------ content

    def scenarios(self) -> list[Scenario]:
        """Every playable scenario, by programme stage, difficulty and title.

        A scenario whose intents hold a pattern that may backtrack catastrophically
        (R312, listed with the content problems) is left out: one line typed in it
        could freeze the app.
        """
        from trainer.scenarios.lint import unsafe_patterns

        content = self.content
        playable = self._playable
        for s in content.scenarios.values():
            if id(s) not in playable:
                playable[id(s)] = (s, not unsafe_patterns(content, s))
        return sorted(
            (s for s in content.scenarios.values() if playable[id(s)][1]),
            key=lambda s: (
                _stage_rank(s.stage),
                DIFFICULTY_ORDER.get(s.difficulty, 9),
                s.locale,
                s.title,
                s.id,
            ),
        )

    def scenario(self, scenario_id: str) -> Scenario | None:
        """A scenario by id, or None when the content no longer has it."""
        return self.content.scenarios.get(scenario_id)

    def persona_type(self, scenario: Scenario) -> str:
        """The persona's type (``honest_forgetful``…), or its id when it is unknown."""
        persona = self.content.personas.get(scenario.persona)
        return persona.type if persona else scenario.persona

    def rulebook(self, locale: str) -> Rulebook | None:
        """The compiled rulebook for a locale (None when the grader has none)."""
        if locale not in self._rulebooks:
            from trainer.services.rulebooks import load_rulebook

            source = self._rulebook_sources.get(locale, locale)
            try:
                self._rulebooks[locale] = load_rulebook(source)
            except ContentError as exc:  # a broken rulebook: calls go on ungraded, and say so
                self._diagnostics.extend(exc.diagnostics)
                self._rulebooks[locale] = None
            except (FileNotFoundError, KeyError) as exc:  # no rulebook for this locale: say so
                self._diagnostics.append(
                    Diagnostic(
                        str(source),
                        1,
                        1,
                        "K600",
                        f"no rulebook for {locale}: {exc}",
                        "calls in this locale are not graded; add a rulebook or pass --rules",
                    )
                )
                self._rulebooks[locale] = None
        return self._rulebooks[locale]

    # ------------------------------------------------------------ calls

    def next_seed(self) -> int:
        """The seed of the next call: fixed sequence under a fixed app seed, else random."""
        return self._random.randrange(1_000_000)

    def new_session(self, scenario: Scenario, *, mode: str, trainee: str) -> Session:
        """A new engine session for ``scenario``, saved in the store as it goes."""
        from trainer.engine.session import Session

        return Session.new(
            scenario,
            self.content,
            seed=self.next_seed(),
            mode="guided" if mode == "guided" else "free",
            grader=self.rulebook(scenario.locale),
            store=self.store,
            trainee=trainee,
        )

    def resume_session(
        self,
        session_id: str,
        scenario_for: Callable[[SessionRecord, Scenario], Scenario] | None = None,
    ) -> Session:
        """The engine session of an interrupted call, at its last completed turn.

        ``scenario_for`` gives the scenario the call was played on from the stored
        record and the content's scenario (the app moves a scenario's dates to the day
        of the call); by default the content's own.
        """
        from trainer.engine.session import Session

        record = self.store.load(session_id)
        scenario = self.scenario(record.scenario_id)
        if scenario is not None and scenario_for is not None:
            scenario = scenario_for(record, scenario)
        return Session.resume(
            self.store,
            record.id,
            self.content,
            self.rulebook(record.locale or "zh-CN"),
            scenario=scenario,
        )

    # ------------------------------------------------------------ history

    def record(self, session_id: str) -> SessionRecord:
        """A stored session with its turns."""
        return self.store.load(session_id)

    def debrief(self, session_id: str) -> DebriefView:
        """The debrief of a stored session (cached: stored finished calls do not change)."""
        cached = self._debriefs.get(session_id)
        if cached is not None:
            return cached
        record = self.store.load(session_id)
        view = debrief_for(record, self.scenario(record.scenario_id), self.content)
        if record.finished:
            self._debriefs[session_id] = view
        return view

    def history(self, trainee: str) -> list[PastSession]:
        """The trainee's sessions, newest first, with scores of finished calls."""
        rows: list[PastSession] = []
        for record in self.store.list_sessions(trainee=trainee):
            scenario = self.scenario(record.scenario_id)
            score: int | None = None
            passed: bool | None = None
            if record.finished:
                view = self.debrief(record.id)
                score, passed = view.score, view.passed
            rows.append(
                PastSession(
                    id=record.id,
                    scenario_id=record.scenario_id,
                    title=scenario.title if scenario else record.scenario_id,
                    started_at=record.started_at,
                    mode=record.mode_used,
                    status=record.status,
                    outcome=record.outcome,
                    score=score,
                    passed=passed,
                )
            )
        return rows

    def best_scores(self, trainee: str) -> dict[str, tuple[int, bool]]:
        """Scenario id → (best score, passed at least once) for the trainee."""
        best: dict[str, tuple[int, bool]] = {}
        for row in self.history(trainee):
            if row.score is None:
                continue
            old_score, old_passed = best.get(row.scenario_id, (-1, False))
            best[row.scenario_id] = (max(old_score, row.score), old_passed or bool(row.passed))
        return best

    def frequent_category(self, trainee: str) -> str | None:
        """The category of the trainee's most frequent finding, or None."""
        counts: Counter[str] = Counter()
        for row in self.history(trainee):
            if row.status != "finished":
                continue
            for found in self.debrief(row.id).findings:
                if found.finding.category:
                    counts[found.finding.category] += 1
        return counts.most_common(1)[0][0] if counts else None

    def suggest(self, trainee: str, locale: str | None) -> tuple[Scenario, str, str] | None:
        """A suggested next call: (scenario, reason key, category) or None.

        First a not-yet-passed call that exercises the category of the trainee's
        most frequent finding (a guided option of the call names it in
        ``breaks``), else the first call not passed yet, else nothing.
        """
        candidates = [s for s in self.scenarios() if locale is None or s.locale == locale]
        if not candidates:
            return None
        best = self.best_scores(trainee)
        not_passed = [s for s in candidates if not best.get(s.id, (0, False))[1]]
        category = self.frequent_category(trainee)
        if category:
            for scenario in not_passed or candidates:
                if category in _categories_exercised(scenario):
                    return scenario, "home.suggested.weak", category
        if not best:
            return candidates[0], "home.suggested.first", ""
        if not_passed:
            return not_passed[0], "home.suggested.unpassed", ""
        return None

    # ------------------------------------------------------------ export

    def export_jsonl(self, session_id: str) -> Path:
        """Write the session's transcript as JSONL (the audit format); return the file."""
        record = self.store.load(session_id)
        from trainer.records import check_session_id

        folder = (self.home or Path.cwd()) / "exports"
        path = folder / f"{check_session_id(record.id)}.jsonl"  # never a path from input
        rows = transcript_rows(record, self.scenario(record.scenario_id))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as out:
                for row in rows:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        except OSError as exc:  # a read-only or full data folder: one line, not a crash
            raise StoreError(f"{path}: cannot write: {exc.strerror}") from None
        return path


def transcript_rows(record: SessionRecord, scenario: Scenario | None) -> list[dict[str, Any]]:
    """The session as audit-format records: one per turn, agent and customer alike.

    ``party`` and ``verified`` follow the call as it went: the party from the
    scenario, and verified once a turn's recognised intent verified identity.
    """
    party = scenario.party if scenario else "debtor"
    lang = record.locale or (scenario.locale if scenario else "")
    verified = False
    rows = []
    for turn in record.turns:
        if turn.speaker == "agent" and turn.intent in ("verify_identity", "confirm_identity"):
            verified = True
        rows.append(
            {
                "id": f"{record.id}-{turn.index}",
                "call_id": record.id,
                "turn": turn.index,
                "speaker": turn.speaker,
                "text": turn.text,
                "party": party,
                "verified": verified,
                "time": turn.at,
                "lang": lang,
                "scenario": record.scenario_id,
                "findings": list(turn.findings),
            }
        )
    return rows


def _stage_rank(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def _categories_exercised(scenario: Scenario) -> set[str]:
    """Categories (or rule ids) that the scenario's poor options are written to break."""
    found: set[str] = set()
    for node in scenario.nodes.values():
        for option in node.options:
            found.update(option.breaks)
    return found


def call_stage_index(stage: str | None) -> int:
    """Position of a call stage (opening = 0), or -1 when unknown."""
    return CALL_STAGES.index(stage) if stage in CALL_STAGES else -1


def _load_for_app(paths: list[Path] | None) -> tuple[ContentSet, list[Diagnostic]]:
    """The app's background load: the content, and the R312 check of every scenario's
    intent patterns run once here (`unsafe_regex` remembers its verdicts), so the first
    scenario list after the start screen does not parse a hundred regexes on the UI
    thread (40 ms)."""
    from trainer.scenarios.lint import unsafe_patterns
    from trainer.services.content import load_content

    content, found = load_content(paths)
    for scenario in content.scenarios.values():
        unsafe_patterns(content, scenario)
    return content, found
