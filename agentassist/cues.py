"""Linguistic cues of one sentence: question form, wh-word, aux inversion, second person.

Rule-based detectors read these directly and the trained heads take them as features
beside the sentence vector; the strongest cue becomes the evidence's ``reason``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

FILLERS: Final = frozenset(
    {"um", "uh", "erm", "er", "uhm", "hmm", "mm", "mhm", "so", "well", "okay", "ok", "oh",
     "and", "but", "like", "right", "alright", "now", "yeah", "yes", "no", "sorry", "then",
     "hi", "hello", "great", "sure", "perfect", "lovely", "cool", "ah", "just", "also",
     "actually", "anyway", "see", "i", "mean", "you", "know"}
)
# Fillers that may only be skipped when followed by more words ("you know what…").
_SKIP_PAIRS: Final = (("i", "mean"), ("you", "know"))
WH_WORDS: Final = frozenset(
    {"what", "how", "why", "which", "where", "when", "who", "whose", "whom"}
)
AUX_WORDS: Final = frozenset(
    {"is", "are", "was", "were", "am", "do", "does", "did", "can", "could", "will", "would",
     "shall", "should", "may", "might", "have", "has", "had", "must", "isn't", "aren't",
     "wasn't", "weren't", "don't", "doesn't", "didn't", "can't", "couldn't", "won't",
     "wouldn't", "shouldn't", "haven't", "hasn't", "hadn't", "is'nt", "dont", "doesnt",
     "didnt", "cant", "wont", "isnt", "arent", "wasnt"}
)
SUBJECTS: Final = frozenset(
    {"you", "i", "we", "they", "he", "she", "it", "that", "this", "there", "your", "my",
     "the", "a", "anyone", "anybody", "someone", "everything", "those", "these", "ya", "u"}
)
OPEN_STARTERS: Final = (
    "tell me", "talk me through", "walk me through", "describe", "explain", "say more",
    "could you tell me more", "can you tell me more", "can you tell me what",
    "could you tell me what", "can you tell me how", "could you tell me how",
    "can you tell me why", "could you tell me why", "can you walk me", "could you walk me",
    "can you describe", "could you describe", "can you explain", "could you explain",
    "would you tell me more", "can you say more", "could you say more",
    "would you mind telling me what", "would you mind telling me how",
    "i'd love to hear", "i'd like to hear", "help me understand",
)
SINGLE_FACT: Final = re.compile(
    r"^(what(?:'s| is| was| are)? (?:your|the|his|her|their|its|my)\s+(?:\w+\s+)?"
    r"(?:name|number|postcode|post code|zip|zip code|address|email|e-mail|phone|reference|"
    r"date|birth|dob|account|card|policy|order|booking|flight|seat|registration|reg|model|"
    r"meter|pin|id|ref|code|time|day|amount|balance|total|surname|first|last|make|plan|"
    r"tariff|serial|ticket|claim|case|invoice|iban|sort|mobile|contact|vehicle|car|"
    r"email address|username|user name|password|membership|customer|member|platform|"
    r"station|stop|gate|terminal|route|line|version|browser|device|operating)\b"
    r"|what time\b|what day\b|what date\b|what year\b|what month\b|what colou?r\b|what size\b"
    r"|which\b|when\b|where\b|who\b|whose\b|whom\b|how (?:many|much|long|old|often|far|soon)\b"
    r"|what (?:number|postcode|address|email|card|bank|station|flight|airport|gate|train|bus|"
    r"platform|model|plan|tariff|version|browser|name)\b)"
)
CLOSED_IN_OPEN_CLOTHING: Final = re.compile(
    r"^(?:can|could|would|will) you (?:please )?(?:tell|let) me (?:know )?(?:if|whether)\b"
    r"|^(?:can|could|would|will) you (?:please )?(?:confirm|verify|check|give me|spell|read)\b"
    r"|^do you (?:know|remember|happen to know) (?:if|whether|the|your|what time|when|which)\b"
    r"|^is there anything else\b|^anything else\b"
)
TAG_QUESTION: Final = re.compile(
    r",?\s*(?:right|yeah|yes|ok|okay|correct|no|isn't it|is it|aren't you|don't you|didn't you|"
    r"wasn't it|doesn't it|can't you|won't it|haven't you|have you|did you|do you|is that right|"
    r"is that correct|innit|eh|huh)\s*\??$"
)
#: Tags that turn a statement into a question even without a question mark (speech).
SPOKEN_TAG: Final = re.compile(
    r"(?:\b(?:isn't it|aren't you|aren't they|don't you|didn't you|doesn't it|wasn't it|"
    r"weren't you|haven't you|hasn't it|won't you|can't you|couldn't you|innit|"
    r"is that right|is that correct|am i right|yeah no)"
    r"|(?<!that's )(?<!thats )(?<!all )(?<!that is )(?<!turn )(?<!go )(?<!just )(?<!about )"
    r"(?<!exactly )(?<!quite )\b(?:right|huh|eh))\s*[?.!]*$"
)
#: "… or" left open: an either/or question cut off in speech ("is it the blue one or").
TRAILING_OR: Final = re.compile(
    r"\bor(?: (?:not|what|no))?\s*[,?.…-]*\s*$"
)
_OR_ENDINGS_NOT_QUESTION: Final = re.compile(
    r"\bor (?:something|whatever|so|anything|other|two|three|less|more|else)\s*[,?.…-]*\s*$"
)
#: Question word order after a clause boundary inside a sentence: speech runs clauses
#: together without full stops ("thanks rosa and do you remember the date", "twenty four
#: hours, so you sleep with it on, is that safe"). A boundary is punctuation or a spoken
#: connective; "the problem is it keeps dropping" has none and does not count.
INVERTED_WITHIN: Final = re.compile(
    r"(?:[,;:\-\u2013\u2014]\s*|\b(?:and|so|but|okay|ok|right|then|yeah|well|now|also|or|um|"
    r"uh|erm)\s+)(?:is|are|was|were|am|do|does|did|can|could|will|would|shall|should|have|has|"
    r"had|isn't|aren't|don't|doesn't|didn't|can't|won't|haven't)\s+"
    r"(?:you|i|we|they|he|she|it|there|that|this|u|ya)\b"
)
YOU_WORDS: Final = frozenset({"you", "you're", "you've", "you'd", "you'll", "your", "ya", "u",
                              "youre", "youve"})
OPINION: Final = re.compile(
    r"\b(?:what do you think|what did you think|how do you feel|how did you feel|"
    r"how about you|what about you|how about yourself|what about yourself|"
    r"what's your (?:take|view|opinion|feeling)|how do you find|how did you find|"
    r"what do you reckon|how are you finding)\b"
)
SECOND_PERSON: Final = re.compile(r"\b(you|your|yours|yourself|you're|you've|you'd|you'll|u|ur)\b")
FIRST_PERSON: Final = re.compile(r"\b(i|i'm|i've|i'd|i'll|me|my|mine|we|we're|we'll|our|us)\b")
WORD: Final = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    """Return the lower-cased words of ``text`` (apostrophes kept, ’ folded to ')."""
    return WORD.findall(text.lower().replace("\u2019", "'"))


def content_words(text: str) -> list[str]:
    """Return the words of ``text`` after dropping fillers and stutters at the start.

    Example:
        >>> content_words("Um, do, do you have kids")
        ['do', 'you', 'have', 'kids']
    """
    raw = words(text)
    # Speech repeats words at false starts ("do, do you"): keep one of each run.
    tokens = [w for i, w in enumerate(raw) if i == 0 or w != raw[i - 1]]
    i = 0
    while i < len(tokens) - 1:
        pair = (tokens[i], tokens[i + 1])
        if pair in _SKIP_PAIRS and not (pair == ("you", "know") and i + 2 < len(tokens)
                                         and tokens[i + 2] in WH_WORDS):
            i += 2
            continue
        if tokens[i] in FILLERS and tokens[i] not in ("i", "you", "no", "yes"):
            i += 1
            continue
        break
    return tokens[i:]


@dataclass(frozen=True, slots=True)
class QuestionForm:
    """The question cues of one sentence; ``kind`` is "open", "closed" or "" (no question)."""

    kind: str
    reason: str
    question_mark: bool
    wh_first: bool
    aux_first: bool
    tag: bool
    #: statement word order with "you" first, as declarative questions have ("so you've
    #: cut down then"); a cue for the heads, not a question on its own
    you_first: bool = False
    #: ends in a bare "or" (an either/or question cut off in speech)
    trailing_or: bool = False
    #: ends in a spoken tag ("…, right", "…, isn't it", "… huh"), with or without a mark
    spoken_tag: bool = False
    #: asks for an opinion or feeling ("what do you think", "how about you")
    opinion: bool = False
    #: a wh-word among the first four words after fillers ("and so what happened then")
    wh_within: bool = False
    #: question word order after a clause boundary, not at the start ("thanks rosa and do
    #: you remember the date"); a cue for the heads, not a question on its own
    inverted_within: bool = False


def question_form(text: str) -> QuestionForm:
    """Classify one sentence's question form from surface syntax.

    Example:
        >>> question_form("What happened when you tried to log in?").kind
        'open'
        >>> question_form("What's your postcode?").kind
        'closed'
        >>> question_form("um can you see the second charge").kind
        'closed'
        >>> question_form("I'll send it today.").kind
        ''
    """
    stripped = text.strip()
    mark = stripped.rstrip(" \"')").endswith("?")
    tokens = content_words(stripped)
    joined = " ".join(tokens)
    first = tokens[0] if tokens else ""
    second = tokens[1] if len(tokens) > 1 else ""
    wh_first = first in WH_WORDS
    aux_first = first in AUX_WORDS and second in SUBJECTS
    tag = mark and bool(TAG_QUESTION.search(stripped.lower())) and not wh_first and not aux_first
    open_starter = joined.startswith(OPEN_STARTERS)
    lowered = stripped.lower().replace("\u2019", "'")
    extra = {
        "you_first": first in YOU_WORDS and second not in {"know", "see"},
        "trailing_or": len(tokens) >= 3 and bool(TRAILING_OR.search(lowered))
        and not _OR_ENDINGS_NOT_QUESTION.search(lowered),
        "spoken_tag": len(tokens) >= 3 and bool(SPOKEN_TAG.search(lowered)),
        "opinion": bool(OPINION.search(" ".join(words(lowered)))),
        "wh_within": any(w in WH_WORDS for w in tokens[:4]),
        "inverted_within": not aux_first and bool(INVERTED_WITHIN.search(lowered)),
    }

    def form(kind: str, reason: str) -> QuestionForm:
        return QuestionForm(kind, reason, mark, wh_first, aux_first, tag, **extra)

    if not (mark or aux_first or wh_first or open_starter):
        if extra["opinion"]:
            return form("open", "asks for an opinion or feeling")
        if extra["trailing_or"]:
            return form("closed", "either/or question left open (\"… or\")")
        if extra["spoken_tag"]:
            return form("closed", "tag question (spoken, no question mark)")
        return form("", "")
    if wh_first and not mark and not _wh_question_syntax(tokens):
        # "what a day", "when it arrives I'll call": wh-word but no question
        return form("", "")
    if open_starter and not CLOSED_IN_OPEN_CLOTHING.match(joined):
        return form("open", f"invites an elaborated answer ({joined[:24]!r}…)")
    if CLOSED_IN_OPEN_CLOTHING.match(joined):
        return form("closed", "asks for a yes/no or one fact despite its polite form")
    if wh_first:
        if SINGLE_FACT.match(joined):
            return form("closed", f"wh-question for one fact ({first!r})")
        return form("open", f"question opens with {first!r}")
    if aux_first:
        if " or " in f" {joined} ":
            return form("closed", "either/or question")
        return form("closed", f"yes/no question (opens with {first!r})")
    if mark:
        if tokens[:2] in (["you", "know"], ["do", "you"], ["did", "you"]):
            return form("closed", "yes/no question (\"you know …?\")")
        inner = _embedded_wh(tokens)
        if inner:
            return form(inner, "wh-question after a lead-in")
        why = "tag question" if tag else "declarative question"
        return form("closed", why)
    return form("", "")


def _wh_question_syntax(tokens: list[str]) -> bool:
    """Tell whether a wh-word is followed by question word order (voice has no '?')."""
    if len(tokens) < 2:
        return False
    second = tokens[1]
    if second in AUX_WORDS or second in {"happened", "happens", "else", "about", "kind", "sort",
                                         "type", "exactly", "time", "day", "'s", "would", "made"}:
        return True
    if tokens[0] in {"which", "how", "what"}:
        return second not in {"a", "an"}
    return tokens[0] in {"what's", "how's", "where's", "when's", "who's", "why's"}


def _embedded_wh(tokens: list[str]) -> str:
    """Return the form of a wh-question after a lead-in ("and so what happened then?")."""
    for i, token in enumerate(tokens[:4]):
        if token in WH_WORDS:
            rest = " ".join(tokens[i:])
            return "closed" if SINGLE_FACT.match(rest) else "open"
    return ""


def has_any(text: str, patterns: re.Pattern[str]) -> re.Match[str] | None:
    """Search ``text`` lower-cased for ``patterns``."""
    return patterns.search(text.lower().replace("\u2019", "'"))
