"""Plain data passed between quizzer's layers: cards, sections, decks, program runs, and the
review state of a card (kept by the store, computed by the scheduler)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from pathlib import Path

ANSWER_SLOT = "{{answer}}"
SEED_SLOT = "{{seed}}"  # replaced by an integer before a program runs (0 for `output`)
SHEET_FIX_TAG = "sheet-fix"


class Kind(StrEnum):
    """How a card is asked."""

    RECALL = "recall"  # shown, recalled, self-graded
    WRITE = "write"  # the answer is code, run inside the card's program
    PREDICT = "predict"  # the user types what the program prints


class Match(StrEnum):
    """How a program's output is compared with the expected output."""

    EXACT = "exact"
    UNORDERED = "unordered"
    ELLIPSIS = "ellipsis"
    REGEX = "regex"


class Verdict(StrEnum):
    """How a sandboxed program ended."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    KILLED = "killed"
    OUTPUT_LIMIT = "output-limit"


@dataclass(frozen=True)
class Card:
    """One card of a deck; its identity is (deck, id)."""

    deck: str
    section: str
    id: str
    front: str
    back: str
    kind: Kind = Kind.RECALL
    tags: tuple[str, ...] = ()
    program: str | None = None
    output: str | None = None
    match: Match = Match.EXACT
    normalize: tuple[str, ...] = ()
    requires_python: str | None = None
    timeout: float | None = None
    note: str | None = None
    source: str | None = None
    wrong: tuple[str, ...] = ()  # answers the judge must refuse
    right: tuple[str, ...] = ()  # other answers the judge must accept
    variations: int | None = None  # seeds a {{seed}} program is judged under (default 3)
    sheet_program: str | None = None  # the sheet's own text, runnable (sheet-fix cards)
    sheet_error: str | None = None  # the exception class the sheet's text raises
    sheet_output: str | None = None  # or what it really prints
    path: Path | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)
    # The user's edited copy of a built-in card, used in its place (see `quizzer edit`).
    overridden: bool = field(default=False, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.deck, self.id)

    @property
    def has_slot(self) -> bool:
        return self.program is not None and ANSWER_SLOT in self.program

    @property
    def has_seed(self) -> bool:
        return self.program is not None and SEED_SLOT in self.program

    @property
    def seed_zero_program(self) -> str | None:
        """The program as `output` is the output of: every {{seed}} is 0 (what a predict card
        shows, and what is exported)."""
        return self.program.replace(SEED_SLOT, "0") if self.program is not None else None

    def to_dict(self) -> dict[str, object]:
        """The card as JSON-ready data, with the TOML format's field names."""
        return {
            "id": self.id,
            "deck": self.deck,
            "section": self.section,
            "kind": str(self.kind),
            "front": self.front,
            "back": self.back,
            "tags": list(self.tags),
            "program": self.program,
            "output": self.output,
            "match": str(self.match),
            "normalize": list(self.normalize),
            "requires-python": self.requires_python,
            "timeout": self.timeout,
            "note": self.note,
            "source": self.source,
            "wrong": list(self.wrong),
            "right": list(self.right),
            "variations": self.variations,
            "sheet-program": self.sheet_program,
            "sheet-error": self.sheet_error,
            "sheet-output": self.sheet_output,
            "path": str(self.path) if self.path else None,
            "line": self.line,
        }


@dataclass(frozen=True)
class Section:
    """One section of a deck: one TOML file."""

    deck: str
    name: str
    about: str
    cards: tuple[Card, ...]
    path: Path | None = None
    # A file of the user's edits of built-in cards: its cards replace those of their ids.
    override: bool = False


@dataclass(frozen=True)
class Deck:
    """A named collection of sections."""

    name: str
    sections: tuple[Section, ...]
    path: Path | None = None

    @property
    def cards(self) -> tuple[Card, ...]:
        return tuple(card for section in self.sections for card in section.cards)


@dataclass(frozen=True)
class Run:
    """What one sandboxed program did."""

    verdict: Verdict
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    truncated: bool
    isolation: str

    def to_dict(self) -> dict[str, object]:
        return {
            "verdict": str(self.verdict),
            "exit_code": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "seconds": round(self.seconds, 4),
            "truncated": self.truncated,
            "isolation": self.isolation,
        }


@dataclass(frozen=True)
class Judgement:
    """What the engine made of an answer, for the UI to show."""

    card: Card
    answer: str  # what the user typed or chose; "" when they asked to be shown
    right: bool | None  # None: the user judges it (a recall card)
    output: str | None = None  # what the program printed with the answer, or really prints
    detail: str = ""  # why it is wrong: one line, then the output diff when there is one


class Grade(IntEnum):
    """How well a card was remembered (the values are fsrs ratings)."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()


class Phase(IntEnum):
    """Where a reviewed card is in its life (the values are fsrs states)."""

    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


@dataclass(frozen=True)
class CardState:
    """What the scheduler knows of one reviewed card."""

    phase: Phase
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None

    def to_dict(self) -> dict[str, object]:
        return {
            "phase": int(self.phase),
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due.isoformat(),
            "last_review": self.last_review.isoformat() if self.last_review else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CardState:
        last_review = data.get("last_review")
        return cls(
            phase=Phase(int(str(data["phase"]))),
            step=_optional_int(data.get("step")),
            stability=_optional_float(data.get("stability")),
            difficulty=_optional_float(data.get("difficulty")),
            due=datetime.fromisoformat(str(data["due"])),
            last_review=datetime.fromisoformat(str(last_review)) if last_review else None,
        )


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _optional_float(value: object) -> float | None:
    return None if value is None else float(str(value))
