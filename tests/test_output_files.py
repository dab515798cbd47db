"""The files ``--csv`` and ``--plot`` name: a render writer's error names its field (``csv``,
``plot``), the command line the option the user typed; exit 2, no traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.errors import FieldError

# /proc takes no new files, not even from root: a folder that exists and cannot be written
UNWRITABLE = Path("/proc/rlcli-test")
needs_proc = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
runner = CliRunner()

WALK = ["estimate", "random-walk-5", "-p", "uniform", "--runs", "2", "--episodes", "3"]
CONTROL = ["control", "student-mdp", "--runs", "1", "--episodes", "3"]
TRAIN = ["train", "reinforce", "--task", "bandit", "--steps", "64", "-q"]


@needs_proc
def test_the_learning_writers_name_their_field_not_a_flag():
    import numpy as np

    from rlcli.render import learning

    with pytest.raises(FieldError) as info:
        learning.write_csv(UNWRITABLE.with_suffix(".csv"), ["a"], [[1]])
    assert info.value.field == "csv" and "--" not in str(info.value)
    assert str(info.value).startswith(f"csv {UNWRITABLE}.csv: cannot write (")
    series = [learning.Series("td", np.arange(3), np.ones(3))]
    with pytest.raises(FieldError) as info:
        learning.write_png(UNWRITABLE.with_suffix(".png"), series, "x", "y", "t")
    assert info.value.field == "plot" and "--" not in str(info.value)


def test_pyplot_without_matplotlib_names_the_field(monkeypatch):
    from rlcli.render.plot import pyplot

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    with pytest.raises(FieldError) as info:
        pyplot()
    assert info.value.field == "plot"
    assert str(info.value) == "plot: needs matplotlib: pip install 'rlcli[plot]'"


@needs_proc
@pytest.mark.parametrize(
    ("command", "option", "suffix"),
    [
        (WALK, "--csv", ".csv"),
        (WALK, "--plot", ".png"),
        (CONTROL, "--csv", ".csv"),
        (CONTROL, "--plot", ".png"),
        (TRAIN, "--plot", ".png"),
        (["train", "compare", "--task", "bandit", "--algos", "reinforce", "--seeds", "1",
          "--steps", "64"], "--plot", ".png"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_written_is_named_by_its_option(command, option, suffix):
    path = UNWRITABLE.with_suffix(suffix)
    result = runner.invoke(app, [*command, option, str(path)])
    assert result.exit_code == 2, result.output
    assert f"error: {option} {path}: cannot write (" in result.stderr
    assert "Traceback" not in result.output


# ---- --csv -: the CSV on standard output, alone; the report on stderr -----------------


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    """Run in an empty folder holding a user's file named "-", which ``--csv -`` must not
    touch: ``-`` is standard output."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").write_text("the user's own file")
    yield tmp_path
    assert (tmp_path / "-").read_text() == "the user's own file"


@pytest.mark.parametrize(
    ("command", "report"),
    [
        (WALK, "RMS error over the 5 non-terminal states"),
        (CONTROL, "greedy policy of the run-averaged Q"),
    ],
)
def test_csv_dash_puts_the_same_csv_on_stdout_and_the_report_on_stderr(cwd, command, report):
    to_file = runner.invoke(app, [*command, "--csv", "curves.csv"])
    assert to_file.exit_code == 0, to_file.output
    piped = runner.invoke(app, [*command, "--csv", "-"])
    assert piped.exit_code == 0, piped.output
    assert piped.stdout_bytes == (cwd / "curves.csv").read_bytes()  # the same seed, same bytes
    assert report in piped.stderr and report not in piped.stdout
    assert report in to_file.stdout  # a file: the report stays on stdout
    assert "wrote" not in piped.stderr and "wrote curves.csv" in to_file.stderr


def test_train_csv_dash_is_the_csv_of_a_file_but_for_the_timing_column(cwd):
    import csv

    to_file = runner.invoke(app, [*TRAIN, "--csv", "run.csv"])
    piped = runner.invoke(app, [*TRAIN, "--csv", "-"])
    assert to_file.exit_code == 0 and piped.exit_code == 0, piped.output
    piped_rows = list(csv.reader(piped.stdout.splitlines()))
    file_rows = list(csv.reader((cwd / "run.csv").read_text().splitlines()))
    timing = file_rows[0].index("steps_per_sec")
    assert piped_rows[0] == file_rows[0]
    assert [r[:timing] for r in piped_rows] == [r[:timing] for r in file_rows]
    assert len(file_rows) == 1 + 64 // 16  # a header and 4 iterations of 16 bandit steps
    assert "final mean return" in piped.stderr and "final mean return" not in piped.stdout


@pytest.fixture
def policy_file(tmp_path):
    """A 1-layer model small enough for one RL iteration in a second."""
    import numpy as np

    from rlcli.lm import checkpoint as ckpt
    from rlcli.lm import task
    from rlcli.lm.model import ModelConfig, init_params

    tok = task.tokenizer()
    p_len = task.prompt_length(tok)
    cfg = ModelConfig(len(tok), context=p_len + 8, d_model=8, n_layers=1, n_heads=2)
    params = init_params(cfg, np.random.default_rng(0))
    path = tmp_path / "policy.npz"
    ckpt.save(path, ckpt.Checkpoint("policy", cfg, tok.vocab, params, {"prompt_len": p_len}))
    return path


def lm_rl(policy_file: Path, *args: str):
    return runner.invoke(app, [
        "lm", "rl", "grpo", str(policy_file), "--iterations", "1", "--prompts", "2",
        "--group-size", "2", "--minibatches", "1", "--epochs", "1", "-q",
        "-o", str(policy_file.with_name("out.npz")), "--force", *args,
    ])  # fmt: skip


def test_lm_rl_csv_dash_puts_the_history_on_stdout_and_the_table_on_stderr(policy_file):
    import csv

    result = lm_rl(policy_file, "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(result.stdout.splitlines()))
    assert rows[0][:2] == ["iteration", "greedy_accuracy"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]  # the base model's evaluation, iteration 1
    assert "rlcli lm rl grpo" in result.stderr and "rlcli lm rl grpo" not in result.stdout


@pytest.mark.parametrize(
    "command",
    [WALK, CONTROL, TRAIN, ["lm", "rl", "grpo", "policy.npz"],
     ["lm", "pretrain", "--steps", "1"]],
)  # fmt: skip
def test_csv_dash_with_json_is_a_usage_error_before_any_work(cwd, command):
    result = runner.invoke(app, [*command, "--csv", "-", "--json"])
    assert result.exit_code == 2, result.output
    assert "--csv - and --json both write to standard output" in result.stderr
    assert "iteration" not in result.stdout and "learner" not in result.stdout  # no CSV
    assert sorted(p.name for p in cwd.iterdir()) == ["-"]  # no checkpoint either


@pytest.mark.parametrize(
    "command",
    [WALK, CONTROL, TRAIN, ["train", "compare", "--task", "bandit"],
     ["lm", "rl", "grpo", "policy.npz"]],
)  # fmt: skip
def test_plot_dash_is_refused_with_the_formats_to_use(cwd, command):
    result = runner.invoke(app, [*command, "--plot", "-"])
    assert result.exit_code == 2, result.output
    assert "error: --plot -: a plot is an image file" in result.stderr
    assert ".png" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "command",
    [["estimate"], ["control"], ["train", "ppo"], ["train", "grpo"], ["lm", "pretrain"],
     ["lm", "rl"]],
)  # fmt: skip
def test_every_csv_option_documents_dash(command):
    help_text = " ".join(runner.invoke(app, [*command, "--help"]).output.split())
    assert "'-' writes it to standard output" in help_text


@needs_proc
@pytest.mark.parametrize(("option", "suffix"), [("--csv", ".csv"), ("--plot", ".png")])
def test_lm_and_train_name_an_unwritable_file_by_its_option(policy_file, option, suffix):
    path = UNWRITABLE.with_suffix(suffix)
    for result in (lm_rl(policy_file, option, str(path)),
                   runner.invoke(app, [*TRAIN, option, str(path)])):  # fmt: skip
        assert result.exit_code == 2, result.output
        assert f"error: {option} {path}: cannot write (" in result.stderr


@pytest.mark.parametrize(
    ("command", "flag"),
    [(["lm", "pretrain", "--steps", "1", "-o", "-"], "--out"),
     (["practice", "td0", "--count", "1", "--worksheet", "-"], "--worksheet"),
     (["practice", "td0", "--count", "1", "--worksheet", "w.md", "--solutions", "-"],
      "--solutions")],
)  # fmt: skip
def test_an_option_that_writes_a_file_refuses_dash(cwd, command, flag):
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert f"error: {flag} -: " in result.stderr
    assert sorted(p.name for p in cwd.iterdir()) == ["-"]  # nothing written, "-" untouched


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux /dev/full")
@pytest.mark.parametrize(
    "args",
    [["mdp", "solve", "student-mdp"], ["mdp", "solve", "student-mdp", "--json"],
     [*WALK, "--seed", "1", "--csv", "-"]],
)  # fmt: skip
def test_an_output_that_cannot_be_written_is_an_error_not_a_traceback(args):
    import subprocess

    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "rlcli", *args], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.startswith("error: cannot write the output: ")
        and "Traceback" not in done.stderr
    )


def test_csv_dash_with_stdout_closed_is_refused():
    import subprocess

    done = subprocess.run([sys.executable, "-m", "rlcli", *WALK, "--csv", "-"], stdout=None,
                          stderr=subprocess.PIPE, text=True, timeout=120,
                          preexec_fn=lambda: os.close(1))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "--csv -: standard output is closed" in done.stderr


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [(["practice", "td0", "--seed", "1", "--json"], 0, ""),  # no answer: nothing graded
     (["practice", "td0", "--seed", "1"], 0, ""),
     (["replay", "td", "-", "--alpha", "1/2"], 2, "EXPERIENCE -: standard input is closed")],
)  # fmt: skip
def test_a_closed_stdin_is_no_input_not_a_traceback(args, code, said):
    import subprocess

    done = subprocess.run([sys.executable, "-m", "rlcli", *args], capture_output=True,
                          text=True, timeout=120, preexec_fn=lambda: os.close(0))  # fmt: skip
    assert done.returncode == code, done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr
