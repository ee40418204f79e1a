"""The command a benchmark prints runs what the benchmark ran: every option in effect, parsed
back by the benchmark's own parser to the same values, with the commit and date beside it."""

import shlex

import pytest

from tests.bench import caption_latency, media_engine, recording_finalize, room_fanout, transcribe_accuracy
from tests.bench.bench_setup import describe_run, reproduce_command, run_lines

BENCHMARKS = {
    "room_fanout": (room_fanout, ["--sizes", "50", "--events", "2", "--database", "roundtable_bench2", "--keep-db"]),
    "media_engine": (media_engine, ["--quick", "--cycles", "2", "--max-spaces", "0"]),
    "recording_finalize": (recording_finalize, ["--duration", "30", "--skip-ffmpeg"]),
    "transcribe_accuracy": (transcribe_accuracy, ["--quick", "--voices", "en-us,en-gb"]),
    "caption_latency": (caption_latency, ["--quick", "--redis-db", "11"]),
}


def parsed(module, argv):
    args = module.arguments().parse_args(argv)
    if hasattr(module, "resolve_defaults"):
        module.resolve_defaults(args)
    return args


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_it_prints_a_command_that_parses_back_to_the_same_options(name, monkeypatch):
    monkeypatch.delenv("ROUNDTABLE_BATCH_INTERVAL_MS", raising=False)
    module, argv = BENCHMARKS[name]
    args = parsed(module, argv)

    words = shlex.split(reproduce_command(name, module.arguments(), args))

    assert words[:3] == ["python", "-m", f"tests.bench.{name}"]
    assert module.arguments().parse_args(words[3:]) == args


def test_it_spells_out_the_defaults_and_the_flags_that_are_on():
    args = parsed(room_fanout, ["--sizes", "50", "--keep-db"])

    words = shlex.split(reproduce_command("room_fanout", room_fanout.arguments(), args))

    assert words[words.index("--events") + 1] == "20"
    assert words[words.index("--asgi-server") + 1] == "site"
    assert "--keep-db" in words
    assert "--skip-baseline" not in words


def test_it_spells_out_what_quick_chose_and_leaves_out_hidden_options():
    args = parsed(media_engine, ["--quick"])

    words = shlex.split(reproduce_command("media_engine", media_engine.arguments(), args))

    assert words[words.index("--impulses") + 1] == "12"
    assert words[words.index("--cycles") + 1] == "20"
    assert "--worker" not in words


def test_it_puts_the_environment_the_benchmark_reads_in_front(monkeypatch):
    monkeypatch.setenv("ROUNDTABLE_BATCH_INTERVAL_MS", "250")
    args = parsed(room_fanout, [])

    command = reproduce_command("room_fanout", room_fanout.arguments(), args, room_fanout.ENV_READ)

    assert command.startswith("ROUNDTABLE_BATCH_INTERVAL_MS=250 python -m tests.bench.room_fanout ")


def test_it_names_the_commit_and_the_date():
    parser = recording_finalize.arguments()
    run = describe_run("recording_finalize", parser, parser.parse_args([]))

    assert run["commit"] != "unknown"
    assert f"at commit {run['commit']}" in run_lines(run)
    assert run["date"] in run_lines(run)
    assert run_lines(run).startswith(f"reproduce with: {run['command']}\n")
