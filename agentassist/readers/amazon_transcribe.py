"""Amazon output: Contact Lens / Transcribe Call Analytics JSON, and plain Transcribe JSON.

**Call analytics** (Amazon Connect Contact Lens, Transcribe Call Analytics; also the
Connect chat transcript): ``Participants`` lists ``{"ParticipantId", "ParticipantRole"}``;
``Transcript`` lists segments with ``Content``, ``BeginOffsetMillis``,
``EndOffsetMillis`` and the speaker as ``ParticipantRole`` or a ``ParticipantId``
(itself ``"AGENT"``/``"CUSTOMER"`` or an id that ``Participants`` maps to a role).
AGENT and SUPERVISOR are agent turns, CUSTOMER customer turns, SYSTEM and CUSTOM_BOT
system turns; ``speaker_roles`` may map ids or roles otherwise. Chat transcript entries
whose ``Type`` is not ``MESSAGE`` (participant joined, typing…) are skipped.

- id: ``CustomerMetadata.ContactId``, else ``ContactId``, else ``JobName``, else the
  contact id in a Contact Lens file name (``<contact id>_analysis_<time>.json``), else
  the file name's stem.
- channel: ``Channel`` (``VOICE``, ``CHAT``, ``EMAIL``), else ``channel=``, else chat
  for a Connect chat transcript (entries with ``AbsoluteTime``) and voice otherwise;
  language: ``LanguageCode`` (``en-US`` → ``en``), else ``language=``, else English.
- metadata: ``job_name``, ``contact_id``, ``language_code``, ``matched_categories``
  and ``CustomerMetadata``'s other keys in snake_case (``input_s3_uri``). Per-segment
  sentiment, loudness and issues are not kept.

**Plain Transcribe** (``results.transcripts``, ``results.items``,
``results.speaker_labels``, ``results.audio_segments``): words are grouped into turns by
speaker label (``spk_0``…) or channel label (``ch_0``…). Labels map to roles through
``speaker_roles``; **without a mapping, ``spk_0``/``ch_0`` is the agent and
``spk_1``/``ch_1`` the customer** (the agent usually speaks first on a contact-centre
line), and any further label is an error asking for a mapping. The id is
``jobName`` or the file name's stem.

Both kinds merge consecutive segments of the same speaker into one turn, with times in
seconds.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from agentassist.readers.base import (
    Options,
    Where,
    append_merged,
    finish,
    make_turn,
    parse_channel,
    parse_id,
    parse_language,
    parse_time,
    turn_index,
)
from agentassist.readers.source import read_text
from agentassist.transcript import Channel, Role, Transcript, Turn

logger = logging.getLogger(__name__)

AMAZON_ROLES: Mapping[str, Role] = {
    "AGENT": Role.AGENT,
    "SUPERVISOR": Role.AGENT,
    "CUSTOMER": Role.CUSTOMER,
    "SYSTEM": Role.SYSTEM,
    "CUSTOM_BOT": Role.SYSTEM,
}
DEFAULT_LABELS: Mapping[str, Role] = {
    "spk_0": Role.AGENT,
    "spk_1": Role.CUSTOMER,
    "ch_0": Role.AGENT,
    "ch_1": Role.CUSTOMER,
}
_ANALYTICS_KEY = re.compile(r'"(?:ParticipantRole|Participants|ParticipantId)"\s*:')
_PLAIN_KEYS = (
    re.compile(r'"results"\s*:'),
    re.compile(r'"(?:transcripts|speaker_labels|items)"\s*:'),
)
_CONTACT_FILE = re.compile(r"^(?P<id>.+?)_analysis_")


def sniff(head: str) -> bool:
    """Say whether ``head`` looks like Amazon Contact Lens / Transcribe output.

    Example:
        >>> sniff('{"Participants": [{"ParticipantRole": "AGENT"}], "Transcript": []}')
        True
        >>> sniff('{"results": {"transcripts": [{"transcript": "hi"}]}}')
        True
        >>> sniff('{"id": "c-1", "turns": []}')
        False
    """
    if head.lstrip()[:1] != "{":
        return False
    return _ANALYTICS_KEY.search(head) is not None or all(p.search(head) for p in _PLAIN_KEYS)


def read(
    path: str | Path,
    *,
    speaker_roles: Mapping[str, str] | None = None,
    channel: str | None = None,
    language: str | None = None,
) -> Iterator[Transcript]:
    """Read the one transcript of an Amazon Contact Lens or Transcribe output file.

    Example:
        >>> import json, pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "c-1_analysis_2024-05-02T10:00:00Z.json"
        >>> _ = path.write_text(json.dumps({"Channel": "VOICE", "Participants": [
        ...     {"ParticipantId": "AGENT", "ParticipantRole": "AGENT"}], "Transcript": [
        ...     {"ParticipantId": "AGENT", "Content": "Hello.", "BeginOffsetMillis": 0,
        ...      "EndOffsetMillis": 900}]}))
        >>> transcript = next(read(path))
        >>> transcript.id, [(t.role.value, t.text, t.end) for t in transcript.turns]
        ('c-1', [('agent', 'Hello.', 0.9)])

    Raises:
        ConfigError: a bad ``speaker_roles``, ``channel`` or ``language``.
    """
    options = Options.build(speaker_roles, channel, language)
    return _read(Path(path), options)


def _read(path: Path, options: Options) -> Iterator[Transcript]:
    where = Where(path)
    text = read_text(path)
    if not text.strip():
        raise where.error("file is empty; expected Amazon Contact Lens or Transcribe JSON")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        near = exc.doc[max(exc.pos - 20, 0) : exc.pos + 20]
        raise where.at(line=exc.lineno).error(
            f"broken JSON at column {exc.colno}: {exc.msg} (near {near!r}); expected "
            "Amazon Contact Lens or Transcribe output JSON"
        ) from None
    if not isinstance(document, dict):
        raise where.error(
            f"expected a JSON object with 'Transcript' or 'results', got {type(document).__name__}"
        )
    if "Transcript" in document:
        yield _analytics(document, path, options)
    elif "results" in document:
        yield _plain(document, path, options)
    else:
        raise where.error(
            "missing required key 'Transcript' (Contact Lens, Call Analytics) or 'results' "
            f"(Transcribe); keys found: {', '.join(sorted(map(str, document)))}"
        )


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _analytics(document: dict[str, Any], path: Path, options: Options) -> Transcript:
    where = Where(path)
    customer_metadata = document.get("CustomerMetadata")
    if not isinstance(customer_metadata, dict):
        customer_metadata = {}
    file_contact = _CONTACT_FILE.match(path.name)
    raw_id = (
        customer_metadata.get("ContactId")
        or document.get("ContactId")
        or document.get("JobName")
        or (file_contact["id"] if file_contact else None)
        or path.stem
    )
    transcript_id = parse_id(raw_id, where, key="ContactId")
    where = where.at(transcript_id=transcript_id)
    metadata: dict[str, Any] = {_snake(key): value for key, value in customer_metadata.items()}
    if document.get("JobName"):
        metadata["job_name"] = document["JobName"]
    if customer_metadata.get("ContactId") or document.get("ContactId"):
        metadata["contact_id"] = customer_metadata.get("ContactId") or document.get("ContactId")
    if document.get("LanguageCode"):
        metadata["language_code"] = document["LanguageCode"]
    categories = document.get("Categories")
    if isinstance(categories, dict) and categories.get("MatchedCategories"):
        metadata["matched_categories"] = list(categories["MatchedCategories"])
    channel: Channel | None = None
    if document.get("Channel") is not None:
        channel = parse_channel(document["Channel"], where)
    language = None
    if document.get("LanguageCode") is not None:
        language = parse_language(document["LanguageCode"], where)
    roles = _participants(document.get("Participants"), where)
    segments = document["Transcript"]
    if not isinstance(segments, list):
        raise where.error(
            f"'Transcript' is a {type(segments).__name__}; expected a list of segments"
        )
    turns: list[Turn] = []
    for index, segment in enumerate(segments):
        _add_segment(turns, segment, where, roles, options, index)
    # Connect chat transcripts have no Channel key; their entries carry AbsoluteTime.
    chat = any(isinstance(segment, dict) and "AbsoluteTime" in segment for segment in segments)
    return finish(
        transcript_id,
        turns,
        options,
        channel=channel,
        language=language,
        default_channel=Channel.CHAT if chat else Channel.VOICE,
        metadata=metadata,
    )


def _participants(participants: object, where: Where) -> dict[str, Role]:
    if participants is None:
        return {}
    if not isinstance(participants, list):
        raise where.error(f"'Participants' is a {type(participants).__name__}; expected a list")
    roles: dict[str, Role] = {}
    for participant in participants:
        if not isinstance(participant, dict):
            continue
        participant_id, role = participant.get("ParticipantId"), participant.get("ParticipantRole")
        if (
            isinstance(participant_id, str)
            and isinstance(role, str)
            and role.upper() in AMAZON_ROLES
        ):
            roles[participant_id] = AMAZON_ROLES[role.upper()]
    return roles


def _add_segment(
    turns: list[Turn],
    segment: object,
    where: Where,
    roles: Mapping[str, Role],
    options: Options,
    index: int,
) -> None:
    place = f"Transcript[{index}]"
    if not isinstance(segment, dict):
        raise where.error(f"{place} is a {type(segment).__name__}; expected an object")
    if segment.get("Type", "MESSAGE") != "MESSAGE":
        return  # a chat event (joined, left, typing), not something said
    speaker = segment.get("ParticipantRole") or segment.get("ParticipantId")
    if speaker is None:
        raise where.error(
            f"{place} has neither 'ParticipantRole' nor 'ParticipantId'; expected one of "
            "them to say who speaks"
        )
    role = options.speakers.lookup(speaker) if isinstance(speaker, str) else None
    if role is None and isinstance(speaker, str):
        role = roles.get(speaker) or AMAZON_ROLES.get(speaker.upper())
    if role is None:
        known = ", ".join(sorted({*AMAZON_ROLES, *roles}))
        raise where.error(
            f"{place}: unknown participant {speaker!r}; expected a role ({known}) or a "
            "ParticipantId listed in 'Participants'; map it with speaker_roles="
            f"{{{speaker!r}: 'agent'}}"
        )
    here = where.at(turn=turn_index(turns, role, str(speaker)))
    if "Content" not in segment:
        raise here.error(f"{place} has no 'Content'; expected the words of the segment")
    start = _millis(segment.get("BeginOffsetMillis"), here, f"{place}.BeginOffsetMillis")
    end = _millis(segment.get("EndOffsetMillis"), here, f"{place}.EndOffsetMillis")
    append_merged(
        turns, make_turn(role, segment["Content"], here, start=start, end=end, speaker=str(speaker))
    )


def _millis(value: object, where: Where, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error(f"{name} {value!r} is not a number; expected milliseconds from the start")
    seconds = parse_time(value / 1000, where, name=name)
    return seconds


def _plain(document: dict[str, Any], path: Path, options: Options) -> Transcript:
    where = Where(path)
    raw_id = document.get("jobName") or document.get("JobName") or path.stem
    transcript_id = parse_id(raw_id, where, key="jobName")
    where = where.at(transcript_id=transcript_id)
    results = document["results"]
    if not isinstance(results, dict):
        raise where.error(f"'results' is a {type(results).__name__}; expected an object")
    words = _labelled_words(results, where)
    turns: list[Turn] = []
    used_default = False
    for label, start, end, text in words:
        turn_where = where.at(turn=len(turns))
        role = options.speakers.lookup(label)
        if role is None and label in DEFAULT_LABELS:
            role, used_default = DEFAULT_LABELS[label], True
        if role is None:
            raise turn_where.error(
                f"speaker label {label!r} has no role; expected spk_0 (agent) or spk_1 "
                "(customer) by default; map every label to a role with speaker_roles, "
                f"e.g. {{'spk_0': 'agent', 'spk_1': 'customer', {label!r}: 'customer'}}"
            )
        turn_where = turn_where.at(turn=turn_index(turns, role, label))
        append_merged(turns, make_turn(role, text, turn_where, start=start, end=end, speaker=label))
    if used_default:
        logger.debug("%s: speaker labels mapped by default (spk_0 → agent, spk_1 → customer)", path)
    language = None
    if isinstance(results.get("language_code"), str):
        language = parse_language(results["language_code"], where)
    job_name = document.get("jobName") or document.get("JobName")
    metadata = {"job_name": job_name} if job_name else {}
    return finish(transcript_id, turns, options, language=language, metadata=metadata)


def _labelled_words(
    results: dict[str, Any], where: Where
) -> list[tuple[str, float | None, float | None, str]]:
    """Return ``(label, start, end, text)`` runs in speaking order."""
    segments = results.get("audio_segments")
    if isinstance(segments, list) and segments and all(map(_segment_label, segments)):
        return [
            (
                _segment_label(segment),
                parse_time(segment.get("start_time"), where, name="start_time"),
                parse_time(segment.get("end_time"), where, name="end_time"),
                str(segment.get("transcript", "")),
            )
            for segment in segments
        ]
    items = results.get("items")
    if not isinstance(items, list):
        raise where.error("'results' has no 'items' list; expected Amazon Transcribe output")
    labels = _labels_by_time(results)
    runs: list[tuple[str, float | None, float | None, str]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise where.error(
                f"results.items[{index}] is a {type(item).__name__}; expected an object"
            )
        alternatives = item.get("alternatives") or [{}]
        content = alternatives[0].get("content") if isinstance(alternatives[0], dict) else None
        if not isinstance(content, str):
            raise where.error(
                f"results.items[{index}] has no alternatives[0].content; expected the word"
            )
        if item.get("type") == "punctuation":
            if runs:
                run_label, run_start, run_end, text = runs[-1]
                runs[-1] = (run_label, run_start, run_end, text + content)
            continue
        start = parse_time(item.get("start_time"), where, name="start_time")
        end = parse_time(item.get("end_time"), where, name="end_time")
        label: object = (
            item.get("speaker_label")
            or item.get("channel_label")
            or labels.get(item.get("start_time"))
        )
        if not isinstance(label, str) or not label:
            raise where.error(
                f"results.items[{index}] ({content!r}) has no speaker label; expected output "
                "of a job run with speaker partitioning (ShowSpeakerLabels) or channel "
                "identification, so turns can be told apart"
            )
        if runs and runs[-1][0] == label:
            previous_label, run_start, _, text = runs[-1]
            runs[-1] = (previous_label, run_start, end, f"{text} {content}")
        else:
            runs.append((str(label), start, end, content))
    return runs


def _segment_label(segment: object) -> str:
    if not isinstance(segment, dict):
        return ""
    return str(segment.get("speaker_label") or segment.get("channel_label") or "")


def _labels_by_time(results: dict[str, Any]) -> dict[Any, str]:
    """Map each word's start time to its speaker or channel label (older output)."""
    labels: dict[Any, str] = {}
    speaker_labels = results.get("speaker_labels")
    if isinstance(speaker_labels, dict):
        for segment in speaker_labels.get("segments") or []:
            for item in segment.get("items") or []:
                labels[item.get("start_time")] = item.get("speaker_label") or segment.get(
                    "speaker_label"
                )
    channel_labels = results.get("channel_labels")
    if isinstance(channel_labels, dict):
        for channel in channel_labels.get("channels") or []:
            for item in channel.get("items") or []:
                labels.setdefault(item.get("start_time"), channel.get("channel_label"))
    return labels
