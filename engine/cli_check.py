"""The part of `wenze check` that looks across files: the versions of one policy
(W914 overlap, W915 gap; engine.versions decides what is a problem), and, with
`--profile`, the policies' activities against an import profile's value map (W916).

In: the compiled policies of every path checked, and optionally a profile file. Out:
diagnostics pointing at the `version` line of a policy file, at an activity declaration,
or at the profile line concerned. A profile that cannot be read raises
`engine.profile.ProfileError` (the caller reports it as a usage error).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from dsl import ast
from dsl.checker_lint import activities_used
from dsl.diagnostics import Diagnostic, diag, related
from dsl.parser import parse
from engine.ir import Policy
from engine.profile import Profile, load_profile
from engine.versions import version_problems


def folder_diagnostics(policies: Sequence[Policy], profile: str | None) -> list[Diagnostic]:
    trees = _trees(policies)
    out = version_diagnostics(policies, trees)
    if profile is not None:
        out += profile_diagnostics(policies, trees, load_profile(profile), profile)
    return out


def _trees(policies: Sequence[Policy]) -> dict[str, ast.PolicyFile]:
    """The parsed text of each policy's file (they all parsed when they were loaded)."""
    out: dict[str, ast.PolicyFile] = {}
    for p in policies:
        try:
            tree, _ = parse(Path(p.file).read_text(encoding="utf-8"), p.file)
        except (OSError, UnicodeDecodeError):
            continue  # changed under our feet: its spans are unknown, its lines 0
        if tree is not None:
            out[p.file] = tree
    return out


def _version_span(trees: dict[str, ast.PolicyFile], p: Policy) -> ast.Span | None:
    tree = trees.get(p.file)
    found = [] if tree is None else [i for i in tree.items if isinstance(i, ast.VersionDecl)]
    return found[0].span if found else None


# ---------------------------------------------------------------------- versions


def version_diagnostics(
    policies: Sequence[Policy], trees: dict[str, ast.PolicyFile]
) -> list[Diagnostic]:
    by_id: dict[str, list[Policy]] = {}
    for p in policies:
        by_id.setdefault(p.id, []).append(p)
    out: list[Diagnostic] = []
    for versions in by_id.values():
        ordered = sorted(versions, key=lambda p: (p.effective, p.version))
        for a, b in itertools.pairwise(ordered):
            span_a, span_b = _version_span(trees, a), _version_span(trees, b)
            note = (
                [related(f"version {b.version} is declared here", b.file, span_b)]
                if span_b is not None
                else []
            )
            if a.effective == b.effective:
                msg = f"versions {a.version} and {b.version} of policy '{a.id}' both take effect {a.effective}"
                hint = "give the later version a later 'effective' date"
                out.append(diag("W914", msg, a.file, span_a, related=note, hint=hint))
            for problem in version_problems([a, b]):
                overlap = a.effective_until is not None and a.effective_until >= b.effective
                hint = f"end version {a.version} on the day before {b.effective} ('until')"
                msg = problem.removeprefix(f"{a.file}: ")
                code = "W914" if overlap else "W915"
                out.append(diag(code, msg, a.file, span_a, related=note, hint=hint))
    return out


# ----------------------------------------------------------------------- profile


def profile_diagnostics(
    policies: Sequence[Policy],
    trees: dict[str, ast.PolicyFile],
    profile: Profile,
    path: str,
) -> list[Diagnostic]:
    """Policy activities the rules use that no value of the profile's map gives (only
    when the profile renames at all: without a map, names pass through), and map
    targets or custody activities that no policy declares nor the profile vouches for."""
    out: list[Diagnostic] = []
    targets = set(profile.activity_map.values())
    declared = {name for p in policies for name in p.activities}
    if targets:
        for p in policies:
            tree = trees.get(p.file)
            used = activities_used(tree) if tree is not None else set()
            # A deemed event (`on breach deem X`) is made by the engine, never exported.
            used -= {d.activity for c in p.clocks for d in c.deems}
            for decl in [] if tree is None else tree.items:
                if isinstance(decl, ast.ActivityDecl) and decl.name.text in used - targets:
                    name = decl.name.text
                    msg = (
                        f"no value of the profile's map gives activity '{name}': only events "
                        f"the export already names '{name}' will count"
                    )
                    hint = f'map the export\'s name onto it in {path}: "…" = "{name}"'
                    out.append(diag("W916", msg, p.file, decl.name.span, hint=hint))
    text = _profile_text(path)
    vouched = profile.known | {a for a in targets if _pattern_vouches(profile, a)}
    for target in sorted(targets - declared - vouched):
        msg = f"the profile maps onto activity '{target}', which no policy checked declares"
        hint = "a misspelling of the policy's name? or list it under [activities] known"
        where = _line_of(text, rf'=\s*"{re.escape(target)}"')
        out.append(diag("W916", msg, path, where, hint=hint))
    for act in sorted(profile.custody - declared):
        msg = f"the profile's custody names '{act}', which no policy checked declares"
        out.append(diag("W916", msg, path, _line_of(text, rf'^\s*custody\b.*"{re.escape(act)}"')))
    return out


def _pattern_vouches(profile: Profile, activity: str) -> bool:
    pattern = profile.known_pattern
    return pattern is not None and re.fullmatch(pattern, activity) is not None


def _profile_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ""


def _line_of(text: str, pattern: str) -> ast.Span | None:
    """Where the profile text matches `pattern` first (None: the whole file)."""
    for n, line in enumerate(text.split("\n"), start=1):
        m = re.search(pattern, line)
        if m is not None:
            return ast.Span(n, m.start() + 1, n, m.end() + 1)
    return None
