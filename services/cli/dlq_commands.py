"""CLI commands: `kcall dlq list|show|replay|purge` over the dead-letter topics.

Letters are named `<dlq topic>:<partition>:<offset>`. Filters: --topic (a source topic such
as calls.transcripts.v1, or its .dlq), --error (substring of the error class or message),
--since/--until (ISO 8601, or an age such as 30m, 2h, 7d).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pipelines.dlq import LetterFilter, StoredLetter
    from services.config import KafkaSettings

dlq_app = typer.Typer(
    name="dlq",
    help="Dead letters: list, show, replay (re-validated) and purge.",
    no_args_is_help=True,
)

_AGE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

Bootstrap = Annotated[
    str | None,
    typer.Option(help="Kafka host:port list; default KCALL_KAFKA_BOOTSTRAP."),
]
TopicOpt = Annotated[
    str | None, typer.Option("--topic", help="Source topic (or its .dlq); default: all.")
]
ErrorOpt = Annotated[
    str | None, typer.Option("--error", help="Substring of the error class or message.")
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Failed at or after: ISO 8601 or an age (2h).")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help="Failed at or before: ISO 8601 or an age (2h).")
]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(dlq_app, name="dlq")


def parse_time(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 time (UTC when it has no zone) or an age like `30m`, `2h`, `7d` ago."""
    if text is None:
        return None
    match = _AGE.match(text.strip())
    if match:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return (now or datetime.now(UTC)) - delta
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is neither ISO 8601 nor an age like 2h") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _target(bootstrap: str | None) -> tuple[KafkaSettings, str]:
    from services.config import get_settings

    kafka = get_settings().kafka
    address = bootstrap or kafka.bootstrap
    if not address:
        typer.echo("no Kafka: pass --bootstrap or set KCALL_KAFKA_BOOTSTRAP", err=True)
        raise typer.Exit(2)
    return kafka, address


def _filter(
    topic: str | None, error: str | None, since: str | None, until: str | None
) -> LetterFilter:
    from pipelines.dlq import LetterFilter

    return LetterFilter(topic=topic, error=error, since=parse_time(since), until=parse_time(until))


def _topics(topic: str | None) -> list[str]:
    from pipelines.dlq import dlq_topics

    return dlq_topics(topic)


@dlq_app.command("list")
def list_letters(
    topic: TopicOpt = None,
    error: ErrorOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    bootstrap: Bootstrap = None,
) -> None:
    """List dead letters (oldest offset first), without their payloads."""
    from pipelines.dlq import read_letters

    kafka, address = _target(bootstrap)
    letters = read_letters(
        kafka, address, _topics(topic), where=_filter(topic, error, since, until)
    )
    for letter in letters:
        if as_json:
            typer.echo(json.dumps(letter.summary(), ensure_ascii=False))
        else:
            typer.echo(_line(letter))
    if not as_json:
        typer.echo(f"{len(letters)} dead letter(s)")


def _line(letter: StoredLetter) -> str:
    meta = letter.summary()
    message = letter.error_message.replace("\n", " ")
    message = message if len(message) <= 100 else message[:99] + "…"
    return (
        f"{letter.ref}  {letter.failed_at:%Y-%m-%dT%H:%M:%SZ}  stage={meta['stage']}"
        f"  attempts={meta['attempts']}  {letter.error_class.rsplit('.', 1)[-1]}: {message}"
    )


@dlq_app.command("show")
def show_letter(
    ref: Annotated[str, typer.Argument(help="<dlq topic>:<partition>:<offset>, as list prints")],
    bootstrap: Bootstrap = None,
) -> None:
    """Print one dead letter: where it failed, why, and its (redacted) payload."""
    from pipelines.dlq import read_letters

    kafka, address = _target(bootstrap)
    try:
        topic, partition, offset = ref.rsplit(":", 2)
        key = (topic, int(partition), int(offset))
    except ValueError:
        raise typer.BadParameter(f"{ref!r} is not <dlq topic>:<partition>:<offset>") from None
    letters = read_letters(kafka, address, _topics(topic))
    found = [x for x in letters if (x.dlq_topic, x.partition, x.offset) == key]
    if not found:
        typer.echo(f"no dead letter {ref} (wrong name, or purged)", err=True)
        raise typer.Exit(1)
    letter = found[0]
    document = letter.summary()
    document["payload_text"] = _payload_text(letter.value)
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _payload_text(value: bytes | None) -> object:
    if value is None:
        return None
    text = value.decode(errors="replace")
    try:
        parsed: object = json.loads(text)
    except ValueError:
        return text
    return parsed


@dlq_app.command("replay")
def replay_letters(
    topic: TopicOpt = None,
    error: ErrorOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    dry_run: Annotated[bool, typer.Option(help="Only say what would be replayed.")] = False,
    bootstrap: Bootstrap = None,
) -> None:
    """Re-publish to its source topic every selected letter that decodes now.

    Each payload is validated by the stages' own decoder first; what still fails stays in
    the DLQ and is listed with the reason. Replayed letters stay until `kcall dlq purge`.
    """
    from pipelines.dlq import read_letters, replay
    from services.broker import Publisher

    kafka, address = _target(bootstrap)
    letters = read_letters(
        kafka, address, _topics(topic), where=_filter(topic, error, since, until)
    )
    with Publisher(address, kafka, client_id="kcall-dlq-replay") as publisher:
        result = replay(letters, publisher, dry_run=dry_run)
    verb = "would replay" if dry_run else "replayed"
    for ref in result.replayed:
        typer.echo(f"{verb} {ref}")
    for ref, reason in result.skipped.items():
        typer.echo(f"kept {ref}: {reason}")
    typer.echo(f"{len(result.replayed)} {verb}, {len(result.skipped)} kept")


@dlq_app.command("purge")
def purge_letters(
    topic: TopicOpt = None,
    until: UntilOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    bootstrap: Bootstrap = None,
) -> None:
    """Delete dead letters up to now, or up to --until (a log loses only a prefix).

    The purge mark is committed in consumer group kcall.dlq-purged (list and replay start
    there); on Apache Kafka the records are deleted too (DeleteRecords).
    """
    from pipelines.dlq import purge

    kafka, address = _target(bootstrap)
    cutoff = parse_time(until)
    what = f"dead letters of {topic or 'every topic'}" + (
        f" up to {cutoff:%Y-%m-%dT%H:%M:%SZ}" if cutoff else ""
    )
    if not yes and not typer.confirm(f"purge {what}?"):
        raise typer.Exit(1)
    result = purge(kafka, address, _topics(topic), until=cutoff)
    for partition, offset in sorted(result.purged_to.items()):
        typer.echo(f"purged {partition} below offset {offset}")
    where = "deleted on the broker" if result.deleted_on_broker else "hidden by the purge mark"
    typer.echo(f"{result.letters} dead letter(s) purged ({where})")
