"""Synthetic contact-centre transcripts for benchmarks and batch tests.

Conversations are composed from parts (openings, needs, feelings, questions, answers,
next steps, checks, closings) with names, numbers and products, so **no turn text
repeats** across a whole set and no cache can help a benchmark. Each agent has a
quality that decides how often the good behaviours appear, so scores spread.
Not training data: the sentences are templates, good enough to exercise detectors.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

INDUSTRIES: Final[dict[str, dict[str, Any]]] = {
    "passenger_transport": {
        "participants": ["Northline Rail", "MetroBus", "SkyHop Air", "CityTram"],
        "teams": ["Bookings", "Refunds", "Assistance"],
        "things": ["ticket", "season pass", "booking", "seat reservation", "refund"],
        "problems": ["was cancelled", "was charged twice", "never arrived by e-mail",
                     "shows the wrong date", "was not accepted at the gate"],
    },
    "telecom": {
        "participants": ["Brightwave", "Telora", "Nordnett"],
        "teams": ["Broadband Support", "Mobile", "Billing"],
        "things": ["broadband", "router", "mobile plan", "bill", "SIM card"],
        "problems": ["keeps dropping out", "was charged twice", "stopped working",
                     "is much slower than promised", "shows a fee I never agreed to"],
    },
    "banking": {
        "participants": ["Fjord Bank", "Harbour Savings", "Sparebank Vest"],
        "teams": ["Cards", "Loans", "Everyday Banking"],
        "things": ["card", "transfer", "direct debit", "loan payment", "savings account"],
        "problems": ["was declined", "has not arrived", "was taken twice",
                     "is blocked", "shows an amount I don't recognise"],
    },
    "insurance": {
        "participants": ["Safeguard Insurance", "Nordic Mutual", "HomeShield"],
        "teams": ["Claims", "Policies", "Renewals"],
        "things": ["claim", "policy", "renewal", "home insurance", "car insurance"],
        "problems": ["has been open for weeks", "went up without warning", "was rejected",
                     "has the wrong address on it", "was never confirmed"],
    },
    "utilities": {
        "participants": ["Greenspark Energy", "Aqua Vest", "PowerNorth"],
        "teams": ["Metering", "Billing", "Moving Home"],
        "things": ["meter reading", "energy bill", "direct debit", "smart meter", "tariff"],
        "problems": ["is far too high", "was estimated again", "stopped sending readings",
                     "doubled this month", "was switched without asking me"],
    },
    "retail": {
        "participants": ["Nordhus", "ShopLine", "Kari's Kitchen"],
        "teams": ["Orders", "Returns", "Deliveries"],
        "things": ["order", "parcel", "return", "sofa delivery", "gift card"],
        "problems": ["never arrived", "arrived damaged", "was refunded only in part",
                     "is stuck in the warehouse", "was sent to the wrong address"],
    },
}
AGENTS: Final = [
    "Aisha", "Ben", "Carla", "Dmitri", "Elin", "Farah", "Gustav", "Hanna", "Ivan", "Jonas",
    "Kari", "Leila", "Marius", "Nora", "Omar", "Priya", "Rune", "Sofia", "Tomas", "Una",
    "Viktor", "Wenche", "Yusuf", "Zara",
]
SURNAMES: Final = [
    "Hansen", "Patel", "Berg", "Okafor", "Lund", "Novak", "Dahl", "Rossi", "Moen", "Khan",
    "Strand", "Silva", "Bakke", "Murphy", "Aas", "Lindqvist", "Haugen", "Costa",
]
CUSTOMERS: Final = [
    "Mr Jensen", "Ms Larsen", "Mrs Olsen", "Mr Ahmed", "Ms Kowalski", "Mr Brown", "Ms Nilsen",
    "Mrs Garcia", "Mr Eriksen", "Ms Chen", "Mr Wilson", "Mrs Johansen", "Ms Ali", "Mr Berge",
]
CHANNELS: Final = (("voice", 0.6), ("chat", 0.3), ("email", 0.1))
FILLERS: Final = ("um ", "uh ", "so ", "well ", "right ", "okay so ", "")


@dataclass(frozen=True, slots=True)
class _Context:
    name: str  # the agent's first name
    customer: str
    company: str
    thing: str
    problem: str
    channel: str


class _Numbers:
    """Hand out a fresh number for every turn, so every turn text is unique."""

    def __init__(self, start: int) -> None:
        self.value = start

    def __call__(self) -> int:
        self.value += 1
        return self.value


def _money(n: int) -> str:
    return f"£{n // 100}.{n % 100:02d}"


# Each part takes the context and a fresh number; every part renders the number
# injectively, so two turns never read the same.
def _greeting(c: _Context, n: int, good: bool) -> str:
    if good:
        return (f"Good morning, you're through to {c.company}, my name is {c.name}. "
                f"Thanks for waiting, you're caller {n} today. How can I help you?")
    return f"{c.company}, line {n}. Go ahead."


def _need(c: _Context, n: int, upset: bool) -> str:
    base = (f"Hi, I'm calling about my {c.thing}, reference {n}. It {c.problem} "
            f"and I need it sorted out.")
    if upset:
        base += " I'm really frustrated, this is the third time I've had to call about it."
    return base


def _empathy(c: _Context, n: int) -> str:
    return (f"I'm so sorry, {c.customer}, that sounds really stressful, and after calling "
            f"{n % 7 + 2} times I completely understand why you're upset.")


def _acknowledge(c: _Context, n: int) -> str:
    return (f"So if I've got this right, the {c.thing} on reference {n} {c.problem}, "
            "and you want it fixed today.")


def _open_question(c: _Context, n: int) -> str:
    return (f"Can you tell me more about what happened when you first noticed the problem "
            f"with the {c.thing} on reference {n}?")


def _closed_question(c: _Context, n: int) -> str:
    return f"Is the account number ending {n} the right one?"


def _interest(c: _Context, n: int) -> str:
    return (f"You mentioned the {c.thing} matters for your plans this week, what would work "
            f"best for you so that reference {n} stops causing trouble?")


def _detail(c: _Context, n: int, rng: random.Random) -> str:
    options = (
        f"It started on the {n % 28 + 1}th and the amount was {_money(n)}.",
        f"My account number ends in {n}, and I already tried restarting everything.",
        f"I spoke to someone called {rng.choice(AGENTS)} on call {n} but nothing changed.",
        f"The letter says {_money(n)} but I expected about half that.",
        f"Yes, case {n} is the one, I got the e-mail on Tuesday.",
    )
    return rng.choice(options)


def _information(c: _Context, n: int) -> str:
    return (f"I can see what happened: the {c.thing} was flagged by our system on update {n}, "
            f"so the charge of {_money(n)} was taken in error and it will be refunded.")


def _guidance(c: _Context, n: int) -> str:
    return (f"Here's what happens next: I'll log this as case {n}, then I'll send you a "
            "confirmation and the team will call you back within two working days.")


def _confusion(c: _Context, n: int) -> str:
    return (f"Sorry, I don't understand, what does update {n} mean? Why would it be "
            "charged if nothing changed?")


def _clarify(c: _Context, n: int) -> str:
    return (f"Let me explain it more simply: item {n} was a mistake on our side, you don't "
            "need to do anything, and the money comes back to your account.")


def _check(c: _Context, n: int) -> str:
    return (f"Does that work for you, and is everything clear about case {n} before we "
            "finish?")


def _agree(c: _Context, n: int) -> str:
    return f"Yes, that's fine, thank you. I'll look out for message {n}."


def _filler_turn(c: _Context, n: int, rng: random.Random, agent: bool) -> str:
    if agent:
        options = (
            f"Bear with me a moment while I open record {n}.",
            f"Thanks, I've noted {_money(n)} on the file.",
            f"I'm just checking entry {n} on my screen now.",
            f"Okay, I have step {n} of the process open here.",
        )
    else:
        options = (
            f"Okay, I'm still here, it's been {n} seconds on my clock.",
            f"Right, I have letter number {n} in front of me.",
            f"Sure, the reference on my side is {n}.",
            f"Fine, my postcode block is {n}.",
        )
    return rng.choice(options)


def _closing(c: _Context, n: int, good: bool) -> str:
    if good:
        return (f"Thank you for your patience, {c.customer}. Your reference is {n}. "
                "Have a lovely rest of your day.")
    return f"Ok. Ref {n}. Bye."


def _voice(text: str, rng: random.Random, channel: str) -> str:
    if channel != "voice" or rng.random() > 0.35:
        return text
    return rng.choice(FILLERS) + text[0].lower() + text[1:]


def generate_transcripts(
    count: int, *, turns: int = 40, seed: int = 0, unanswered_share: float = 0.03
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` transcripts as JSON-ready dicts, every turn text unique.

    Args:
        count: how many transcripts.
        turns: about how many turns each (varies by up to a quarter either side).
        seed: the random seed; the same seed gives the same set.
        unanswered_share: share of contacts no agent answers (still scored).

    Example:
        >>> transcripts = list(generate_transcripts(3, turns=10))
        >>> len(transcripts), sorted(transcripts[0])
        (3, ['channel', 'id', 'language', 'metadata', 'turns'])
        >>> texts = [t["text"] for tr in transcripts for t in tr["turns"]]
        >>> len(texts) == len(set(texts))
        True
    """
    rng = random.Random(seed)
    quality = {name: rng.uniform(0.2, 0.95) for name in AGENTS}
    numbers = _Numbers(100_000 + seed * 10_000_000)
    for index in range(count):
        yield _transcript(index, rng, quality, numbers, turns, unanswered_share)


def _transcript(index: int, rng: random.Random, quality: dict[str, float], numbers: _Numbers,
                turns: int, unanswered_share: float) -> dict[str, Any]:
    industry = rng.choice(sorted(INDUSTRIES))
    spec = INDUSTRIES[industry]
    channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    agent = rng.choice(AGENTS)
    context = _Context(agent, rng.choice(CUSTOMERS), rng.choice(spec["participants"]),
                       rng.choice(spec["things"]), rng.choice(spec["problems"]), channel)
    month = rng.randint(1, 12)
    metadata = {
        "agent": f"{agent} {SURNAMES[AGENTS.index(agent) % len(SURNAMES)]}",
        "team": rng.choice(spec["teams"]),
        "participant": context.company,
        "industry": industry,
        "date": f"2024-{month:02d}-{rng.randint(1, 28):02d}",
    }
    target = max(4, round(turns * rng.uniform(0.75, 1.25)))
    if rng.random() < unanswered_share:
        body = _unanswered(context, numbers, rng, min(target, 8))
    else:
        body = _answered(context, numbers, rng, quality[agent], target)
    clock = 0.0
    out_turns = []
    for role, text in body:
        turn: dict[str, Any] = {"speaker": role, "text": _voice(text, rng, channel)}
        if channel == "voice":
            length = round(1.5 + len(text) / 15, 1)
            turn["start"], turn["end"] = round(clock, 1), round(clock + length, 1)
            clock += length + round(rng.uniform(0.2, 1.5), 1)
        out_turns.append(turn)
    return {"id": f"synth-{index:06d}", "channel": channel, "language": "en",
            "metadata": metadata, "turns": out_turns}


def _unanswered(c: _Context, numbers: _Numbers, rng: random.Random,
                target: int) -> list[tuple[str, str]]:
    body = [("customer", _need(c, numbers(), upset=rng.random() < 0.5))]
    while len(body) < target:
        n = numbers()
        if len(body) % 2:
            body.append(("system", f"All our agents are busy. You are number {n} in the queue."))
        else:
            body.append(("customer", f"Hello?? Is anyone there? I've waited {n} seconds now."))
    return body


def _answered(c: _Context, numbers: _Numbers, rng: random.Random, quality: float,
              target: int) -> list[tuple[str, str]]:
    def good() -> bool:
        return rng.random() < quality

    upset = rng.random() < 0.55
    body: list[tuple[str, str]] = [("agent", _greeting(c, numbers(), good())),
                                   ("customer", _need(c, numbers(), upset))]
    first = []
    if upset and good():
        first.append(_empathy(c, numbers()))
    if good():
        first.append(_acknowledge(c, numbers()))
    first.append(_open_question(c, numbers()) if good() else _closed_question(c, numbers()))
    body.append(("agent", " ".join(first)))
    closing_size = 4
    confused = rng.random() < 0.3
    while len(body) < target - closing_size:
        body.append(("customer", _detail(c, numbers(), rng)))
        roll = rng.random()
        if roll < 0.15 and good():
            text = _interest(c, numbers())
        elif roll < 0.35:
            text = _closed_question(c, numbers())
        elif roll < 0.5 and good():
            text = _acknowledge(c, numbers())
        else:
            text = _filler_turn(c, numbers(), rng, agent=True)
        body.append(("agent", text))
        if confused and rng.random() < 0.2:
            confused = False
            body.append(("customer", _confusion(c, numbers())))
            if good():
                body.append(("agent", _clarify(c, numbers())))
            else:
                body.append(("agent", _filler_turn(c, numbers(), rng, agent=True)))
    solution = _information(c, numbers())
    if good():
        solution += " " + _guidance(c, numbers())
    body.append(("agent", solution))
    body.append(("customer", _filler_turn(c, numbers(), rng, agent=False)))
    if good():
        body.append(("agent", _check(c, numbers())))
        body.append(("customer", _agree(c, numbers())))
    body.append(("agent", _closing(c, numbers(), good())))
    return body


def write_jsonl(path: str | Path, count: int, *, turns: int = 40, seed: int = 0) -> Path:
    """Write ``count`` synthetic transcripts to a JSON Lines file and return its path.

    Example:
        >>> import pathlib, tempfile
        >>> path = write_jsonl(pathlib.Path(tempfile.mkdtemp()) / "calls.jsonl", 2, turns=8)
        >>> len(path.read_text().splitlines())
        2
    """
    path = Path(path)
    with path.open("w", encoding="utf-8") as handle:
        for transcript in generate_transcripts(count, turns=turns, seed=seed):
            handle.write(json.dumps(transcript, ensure_ascii=False) + "\n")
    return path


__all__ = ["generate_transcripts", "write_jsonl"]
