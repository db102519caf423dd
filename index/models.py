"""Plain data passed between the index and its callers (the bot, the CLI, the benchmark)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """A source document as the index knows it."""

    id: str  # file name without extension; shown by /sources, used by /remove
    title: str
    source: str  # name of the publisher or distributor, "" if unknown
    url: str  # link to the original, "" if unknown
    language: str  # ISO 639-1 code, "" if unknown
    date: str  # free-form date of publication, "" if unknown
    path: str  # file name inside the corpus folder
    sha256: str  # hash of the file's extracted text
    passages: int = 0
    kind: str = "text"  # text | markdown | html | pdf | docx | odt | link (fetched from ``url``)
    pages: int = 0  # pages of a PDF, else 0
    author: str = ""


@dataclass(frozen=True)
class Passage:
    """One retrievable unit: a paragraph, or a window of sentences of a long paragraph."""

    id: int  # SQLite row id == FAISS id
    doc_id: str
    paragraph: int  # 1-based paragraph number within the document
    window: int  # 0 for a whole paragraph, else 0.. for its sentence windows
    text: str
    # (start, end) character offsets of each sentence within ``text``
    sentences: tuple[tuple[int, int], ...]
    boilerplate: bool = False  # publisher / distributor boilerplate (``boilerplate.py``), not content
    page: int = 0  # page of a PDF, else 0
    on_page: int = 0  # paragraph number on that page
    section: str = ""  # the heading the paragraph is under, "" if none


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its source and the sentence that answers best."""

    passage_id: int
    doc_id: str
    title: str
    source: str
    url: str
    paragraph: int
    text: str
    score: float  # calibrated relevance in [0, 1] (``ranking.calibrate``)
    highlight: tuple[int, int]  # (start, end) of the best sentence within ``text``
    page: int = 0  # page of a PDF, else 0
    on_page: int = 0  # paragraph number on that page
    section: str = ""  # heading the passage is under

    @property
    def sentence(self) -> str:
        start, end = self.highlight
        return self.text[start:end]


@dataclass(frozen=True)
class Answer:
    """The index's answer to one question: ranked hits and whether they answer it."""

    question: str  # the question as searched (after trimming/shortening)
    answered: bool  # True only for the outcome "answer"
    hits: tuple[Hit, ...]
    shortened: bool = False  # the question was longer than MAX_QUESTION_CHARS and was cut
    language: str = ""  # detected language of the question ("de", "en", "")
    timings: dict[str, float] = field(default_factory=dict, compare=False)  # seconds per stage
    confidence: float = 0.0  # how surely hits[0] answers, in [0, 1] (``judge.py``)
    # "answer" | "unsure" (hits are candidates) | "not_found" (hits[0] is only the closest passage)
    # | "small_talk" (not a question about the documents); "" means: from ``answered``
    outcome: str = ""
    whole_story: bool = False  # a question about the whole document: hits are its lead
    evidence: object = field(default=None, compare=False, repr=False)  # ``judge.Evidence`` weighed
    follow_up_of: str = ""  # the previous question this one was read with (``followup.py``), if any
    pinned: str = ""  # the question an admin pinned hits[0] for, when that is why it answers (``pins.py``)

    def __post_init__(self) -> None:
        if not self.outcome:
            object.__setattr__(self, "outcome", "answer" if self.answered else "not_found")


@dataclass(frozen=True)
class PassageContext:
    """A passage with its neighbouring paragraphs in the same document."""

    passage: Passage
    document: Document
    before: Passage | None
    after: Passage | None


@dataclass(frozen=True)
class LinkSync:
    """What fetching the link documents again found."""

    unchanged: int
    updated: int
    failed: tuple[tuple[str, str], ...] = ()  # (document id, reason); their old text keeps serving


@dataclass(frozen=True)
class BuildReport:
    """What a (re)build did."""

    documents: int
    passages: int
    added: int  # documents new since the previous build
    changed: int  # documents whose text changed
    removed: int  # documents no longer in the corpus
    embedded: int  # passages (and sentences) that had to be encoded; 0 for an unchanged corpus
    seconds: float
    skipped: tuple[tuple[str, str], ...] = ()  # (file name, reason) for files that were not indexed
    version: str = ""  # name of the index generation now serving
    chunked: tuple[str, ...] = ()  # ids of the documents cut into passages anew (others were reused)
    cached: int = 0  # texts (passages and sentences) whose vectors came from the embedding cache
    links: LinkSync | None = None  # of a reload that fetched the link documents again
