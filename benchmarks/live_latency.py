"""Live latency: from sending a turn to receiving its analysis, over loopback.

Starts the real service (``Resources.load()``: the trained heads when models/ has them)
in a subprocess on a free loopback port, then, as WebSocket clients:

  (a) one session sending turns one after another: p50 / p95 / p99;
  (b) 50 concurrent sessions, each sending a turn every 2 s for ``--duration`` seconds;
  (c) a ramp of the total turn rate (25 … 400 turns/s, ``--step-seconds`` each) reporting
      the highest rate at which p95 stays under 300 ms.

Turns lost (sent, no analysis back) are counted and must be 0. Every turn text is unique
(generated sentences), so no cache can help. Only loopback traffic; the run is bounded
and stops the server itself. Example::

    python benchmarks/live_latency.py --duration 60 --step-seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
RAMP = (25, 50, 100, 150, 200, 300, 400)
P95_TARGET_MS = 300.0
GRACE_SECONDS = 15.0

# -- unique turn texts ------------------------------------------------------------------

CUSTOMER_TEMPLATES = (
    "My {thing} from {place} still hasn't {event} and I'm getting {feeling}.",
    "I was charged {amount} twice for the {thing} on {day}, can you check that?",
    "Hi, I need to change my {thing} to {day} because {reason}.",
    "Sorry, what do you mean by {term}? I don't follow.",
    "I've called {count} times about the {thing} and nobody has {fixed} it.",
    "Could you tell me when the {thing} to {place} will {event}?",
    "Right, so if I {action} the {thing} by {day}, will that sort the {issue}?",
    "That's great, thanks, the {thing} on {day} works for me.",
)
AGENT_TEMPLATES = (
    "I'm sorry to hear about the {thing}, that sounds {adjective}.",
    "Let me check the {thing} for you: it shows {status} since {day}.",
    "What happened when you tried to {action} the {thing}?",
    "The {issue} will be refunded within {count} working days, back to your {account}.",
    "First I'll {action} the {thing}, then we'll look at the {issue} together.",
    "Can I take the reference for the {thing} from {place}, please?",
    "Just to confirm, does moving the {thing} to {day} work for you?",
    "So you know, {term} means the {issue} is split across the {count} months.",
)
SLOTS = {
    "thing": ("parcel", "train ticket", "broadband router", "insurance claim", "refund",
              "meter reading", "flight booking", "phone contract", "prescription", "invoice",
              "replacement card", "boiler repair", "season pass", "hotel room", "tax form"),
    "place": ("Leeds", "Bergen", "Manchester", "Oslo", "the airport", "the warehouse",
              "Harrogate", "the city centre", "the depot", "Trondheim", "the online shop"),
    "event": ("arrived", "been confirmed", "been processed", "left", "shown up", "started"),
    "feeling": ("really worried", "quite annoyed", "fed up", "anxious", "frustrated",
                "upset", "stressed about it"),
    "amount": ("£12.50", "£49", "€89", "kr 450", "£230", "€15.99", "kr 1200", "£7.20"),
    "day": ("Monday", "Tuesday", "Friday", "the weekend", "the 14th", "next week",
            "tomorrow morning", "the end of the month"),
    "reason": ("my mum is ill", "work moved my shift", "the kids are off school",
               "the first date no longer works", "I'm travelling that day"),
    "term": ("pro rata", "excess", "off-peak", "direct debit", "standing charge",
             "carry-over", "cooling-off period"),
    "count": ("two", "three", "four", "five", "six", "ten"),
    "fixed": ("fixed", "looked at", "called me back about", "explained", "sorted"),
    "action": ("reset", "cancel", "rebook", "upgrade", "return", "renew", "pay"),
    "issue": ("double charge", "late fee", "missing item", "delay", "outage", "error"),
    "adjective": ("really stressful", "frustrating", "worrying", "a real hassle",
                  "exhausting"),
    "status": ("as pending", "as delivered", "as on hold", "as cancelled", "as active"),
    "account": ("card", "bank account", "wallet", "original payment method"),
}


def unique_turns(seed: int = 7) -> Iterator[tuple[str, str]]:
    """Yield ``(speaker, text)`` pairs, alternating speakers, no text ever repeated."""
    rng = random.Random(seed)
    seen: set[str] = set()
    speaker = "customer"
    while True:
        templates = CUSTOMER_TEMPLATES if speaker == "customer" else AGENT_TEMPLATES
        for _ in range(1000):
            template = rng.choice(templates)
            text = template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})
            if rng.random() < 0.5:  # a second sentence doubles the variety
                extra = rng.choice(templates).format(**{k: rng.choice(v)
                                                       for k, v in SLOTS.items()})
                text = f"{text} {extra}"
            if text not in seen:
                break
        else:
            raise RuntimeError("ran out of unique sentences; add slot values")
        seen.add(text)
        yield speaker, text
        speaker = "agent" if speaker == "customer" else "customer"


# -- the server -------------------------------------------------------------------------


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """The service under uvicorn in a subprocess, with its own temporary data folder."""

    def __init__(self, *, method: str, threads: int | None, startup_timeout: float) -> None:
        self.port = free_port()
        self.method = method
        self.threads = threads
        self.startup_timeout = startup_timeout
        self.tmp = tempfile.TemporaryDirectory(prefix="agentassist-bench-")
        self.log = Path(self.tmp.name) / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = dict(os.environ, XDG_DATA_HOME=self.tmp.name, AGENTASSIST_METHOD=self.method,
                   AGENTASSIST_DATABASE_URL=f"sqlite:///{self.tmp.name}/bench.db")
        if self.threads:
            env["AGENTASSIST_THREADS"] = str(self.threads)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "service.main:app", "--host", "127.0.0.1",
                 "--port", str(self.port), "--log-level", "warning", "--ws", "websockets-sansio"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log.read_text()[-2000:]}")
            try:
                self.health = self.get("/health")
                return self
            except OSError:
                time.sleep(0.25)
        self.__exit__()
        raise RuntimeError(f"the server did not start in {self.startup_timeout:.0f} s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.tmp.cleanup()

    def get(self, path: str) -> dict[str, object]:
        """Return the JSON of ``GET path`` on the server."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as reply:
            return dict(json.load(reply))

    @property
    def ws(self) -> str:
        """Return the live WebSocket's URL."""
        return f"ws://127.0.0.1:{self.port}/v1/live"


# -- clients ----------------------------------------------------------------------------


@dataclass
class Tally:
    """Latencies (seconds) of the analyses received, and what was lost."""

    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)
    ended: float = 0.0

    @property
    def lost(self) -> int:
        """Return how many turns were sent without an analysis back."""
        return self.sent - len(self.latencies)

    def percentile(self, q: float) -> float:
        """Return the ``q``-th percentile latency in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000

    @property
    def rate(self) -> float:
        """Return the turns sent per second."""
        return self.sent / max(self.ended - self.started, 1e-9)


class Session:
    """One live session: sends on a schedule, matches each analysis to its turn by id."""

    def __init__(self, socket: ClientConnection, tally: Tally, name: str) -> None:
        self.socket = socket
        self.tally = tally
        self.name = name
        self.sent_at: dict[str, float] = {}
        self.count = 0
        self.reader = asyncio.create_task(self._read())
        self.done = asyncio.Event()

    async def send(self, speaker: str, text: str) -> None:
        """Send one turn and note when."""
        turn_id = f"{self.name}-{self.count}"
        self.count += 1
        self.sent_at[turn_id] = time.perf_counter()
        self.tally.sent += 1
        await self.socket.send(json.dumps({"type": "turn", "id": turn_id, "speaker": speaker,
                                           "text": text}))

    async def _read(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            if message["type"] == "analysis":
                sent = self.sent_at.pop(str(message["id"]), None)
                if sent is not None:
                    self.tally.latencies.append(time.perf_counter() - sent)
            elif message["type"] == "error":
                self.tally.errors += 1
            elif message["type"] == "scorecard":
                self.done.set()

    async def finish(self) -> None:
        """Wait for outstanding analyses (bounded), then end the session."""
        deadline = time.monotonic() + GRACE_SECONDS
        while self.sent_at and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await self.socket.send(json.dumps({"type": "end"}))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout=GRACE_SECONDS)
        await self.socket.close()
        self.reader.cancel()


async def open_session(url: str, tally: Tally, name: str) -> Session:
    """Connect, send ``start`` and return the session."""
    socket = await connect(url, max_size=None, open_timeout=30, ping_interval=None)
    await socket.send(json.dumps({"type": "start", "transcript_id": name, "channel": "voice"}))
    return Session(socket, tally, name)


async def sequential(url: str, turns: Iterator[tuple[str, str]], count: int) -> Tally:
    """(a) One session, each turn sent when the previous analysis came back."""
    tally = Tally()
    session = await open_session(url, tally, "seq")
    for _ in range(count):
        before = len(tally.latencies)
        await session.send(*next(turns))
        deadline = time.monotonic() + GRACE_SECONDS
        while len(tally.latencies) == before and time.monotonic() < deadline:
            await asyncio.sleep(0.0005)
    tally.ended = time.monotonic()
    await session.finish()
    return tally


async def concurrent(url: str, turns: Iterator[tuple[str, str]], *, sessions: int,
                     interval: float, duration: float, tag: str) -> Tally:
    """(b)/(c) ``sessions`` sessions, each sending a turn every ``interval`` s (open loop)."""
    tally = Tally()
    opened = await asyncio.gather(*(open_session(url, tally, f"{tag}-{i}")
                                    for i in range(sessions)))
    rng = random.Random(sessions * 1000 + int(interval * 1000))
    tally.started = time.monotonic()
    stop_at = tally.started + duration

    async def drive(session: Session) -> None:
        next_at = time.monotonic() + rng.uniform(0, interval)  # spread the sessions' phases
        while next_at < stop_at:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await session.send(*next(turns))
            next_at += interval

    await asyncio.gather(*(drive(s) for s in opened))
    tally.ended = time.monotonic()
    await asyncio.gather(*(s.finish() for s in opened))
    return tally


# -- the run ----------------------------------------------------------------------------


def row(name: str, tally: Tally) -> str:
    """Return one line of the results table."""
    return (f"{name:<34}{tally.sent:>7}{tally.lost:>6}{tally.errors:>7}{tally.rate:>9.1f}"
            f"{tally.percentile(50):>9.1f}{tally.percentile(95):>9.1f}"
            f"{tally.percentile(99):>9.1f}{max(tally.latencies, default=0) * 1000:>9.1f}")


async def run(args: argparse.Namespace, server: Server) -> int:
    """Run the three scenarios against ``server`` and print the table."""
    turns = unique_turns(args.seed)
    header = (f"{'scenario':<34}{'turns':>7}{'lost':>6}{'errors':>7}{'sent/s':>9}"
              f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print(header)
    print("-" * len(header))
    lost = 0
    tally = await sequential(server.ws, turns, args.sequential_turns)
    print(row("(a) 1 session, sequential", tally), flush=True)
    lost += tally.lost
    tally = await concurrent(server.ws, turns, sessions=50, interval=2.0,
                             duration=args.duration, tag="b")
    print(row(f"(b) 50 sessions, 1 turn/2 s, {args.duration:.0f} s", tally), flush=True)
    lost += tally.lost
    best = None
    for rate in args.ramp:
        sessions = min(args.max_sessions, rate * 2)
        tally = await concurrent(server.ws, turns, sessions=sessions, interval=sessions / rate,
                                 duration=args.step_seconds, tag=f"c{rate}")
        print(row(f"(c) ramp {rate}/s ({sessions} sessions)", tally), flush=True)
        lost += tally.lost
        if tally.percentile(95) < P95_TARGET_MS and tally.lost == 0:
            best = rate
        elif tally.percentile(95) > 10 * P95_TARGET_MS:
            print(f"    stopping the ramp: p95 is far over {P95_TARGET_MS:.0f} ms")
            break
    print("-" * len(header))
    print(f"highest rate with p95 < {P95_TARGET_MS:.0f} ms: "
          f"{f'{best} turns/s' if best else 'none of the steps'}")
    health = server.get("/health")
    print(f"server: method {health['method']}, analysed {health['analysed_turns']} turns; "
          f"turns lost in all: {lost}")
    return 0 if lost == 0 else 1


def main() -> int:
    """Start the server, run the benchmark, stop the server."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0,
                        help="seconds of scenario (b) (default 60)")
    parser.add_argument("--step-seconds", type=float, default=5.0,
                        help="seconds per ramp step in (c) (default 5)")
    parser.add_argument("--ramp", type=lambda s: [int(x) for x in s.split(",")],
                        default=list(RAMP), help="turn rates of the ramp, comma-separated")
    parser.add_argument("--max-sessions", type=int, default=400,
                        help="most concurrent sessions in a ramp step (default 400)")
    parser.add_argument("--sequential-turns", type=int, default=200)
    parser.add_argument("--method", default="auto", choices=("auto", "head", "rules"),
                        help="detectors the server uses (default auto: trained heads if present)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for the server's encoder (default: the "
                             "service's, one core fewer than the machine has)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--startup-timeout", type=float, default=180.0)
    args = parser.parse_args()
    started = time.monotonic()
    with Server(method=args.method, threads=args.threads,
                startup_timeout=args.startup_timeout) as server:
        print(f"service on 127.0.0.1:{server.port}: method {server.health['method']}, rubric "
              f"{server.health['rubric']}, encoder threads {args.threads or 'default'}; "
              f"started in {time.monotonic() - started:.1f} s; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        code = asyncio.run(run(args, server))
    print(f"done in {time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
