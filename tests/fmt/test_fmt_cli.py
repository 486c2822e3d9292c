"""`wenze fmt`: print, -w, -l, --check, --diff and stdin, with the documented exit codes;
and every shipped policy is formatted (this is the CI check)."""

from __future__ import annotations

import io
from pathlib import Path

from engine.cli import main
from engine.cli_fmt import run_fmt

ROOT = Path(__file__).resolve().parents[2]
MESSY = 'policy  x "标题"   # 注释\nversion "1" effective 2025-01-01\nactivity 甲 "甲"\n'
TIDY = 'policy x "标题"  # 注释\nversion "1" effective 2025-01-01\n\nactivity 甲 "甲"\n'


def _run(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_fmt(list(args), out, err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_every_shipped_policy_is_formatted() -> None:
    code, out, err = _run("--check", str(ROOT / "policies"))
    assert (code, out, err) == (0, "", ""), f"run: wenze fmt -w policies/\n{out}{err}"


def test_print_mode_leaves_the_file_alone(tmp_path: Path) -> None:
    f = tmp_path / "x.policy"
    f.write_text(MESSY, encoding="utf-8")
    assert _run(str(f)) == (0, TIDY, "")
    assert f.read_text(encoding="utf-8") == MESSY


def test_write_mode(tmp_path: Path) -> None:
    f = tmp_path / "x.policy"
    f.write_text(MESSY, encoding="utf-8")
    assert _run("-w", str(tmp_path)) == (0, "", "")
    assert f.read_text(encoding="utf-8") == TIDY
    assert _run("--check", str(tmp_path)) == (0, "", "")


def test_check_and_list_name_the_files_that_would_change(tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text(MESSY, encoding="utf-8")
    (tmp_path / "b.policy").write_text(TIDY, encoding="utf-8")
    a = (tmp_path / "a.policy").as_posix()
    assert _run("--check", str(tmp_path)) == (1, a + "\n", "")
    assert _run("-l", str(tmp_path)) == (0, a + "\n", "")


def test_diff(tmp_path: Path) -> None:
    f = tmp_path / "x.policy"
    f.write_text(MESSY, encoding="utf-8")
    code, out, _ = _run("--diff", str(f))
    assert code == 0
    assert out.startswith(f"--- {f} (as written)\n+++ {f} (formatted)\n@@")
    assert '-policy  x "标题"   # 注释\n+policy x "标题"  # 注释\n' in out
    assert _run("--diff", "--check", str(f))[0] == 1


def test_stdin() -> None:
    assert _run("-", stdin=MESSY) == (0, TIDY, "")
    code, _, err = _run("-w", "-", stdin=MESSY)
    assert code == 2 and "standard input" in err


def test_a_policy_that_does_not_parse_is_reported_and_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "bad.policy"
    f.write_text('policy x 标题\nversion "1" effective 2025-01-01\n', encoding="utf-8")
    code, out, err = _run("-w", str(f))
    assert code == 2 and out == ""
    assert f"{f}:1:10: P108" in err and "^" in err
    assert f.read_text(encoding="utf-8").startswith("policy x 标题")


def test_usage_errors(tmp_path: Path) -> None:
    assert _run(str(tmp_path / "missing.policy"))[0] == 2
    assert _run("-w", "--check", str(tmp_path))[0] == 2
    (tmp_path / "gbk.policy").write_bytes('policy x "标题"\n'.encode("gbk"))
    code, _, err = _run(str(tmp_path / "gbk.policy"))
    assert code == 2 and "UTF-8" in err


def test_registered_as_a_verb(capsys: object) -> None:
    assert main(["fmt", "--help"]) == 0
