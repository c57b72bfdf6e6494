"""`fanzha serve`: every setting is a flag, generated from the settings model so flags,
environment variables and documentation cannot drift apart. Flags override FANZHA_* variables,
which override the defaults.

    fanzha serve --model models/default --port 8000
    fanzha serve --model models/default --workers 2 --host 0.0.0.0
    FANZHA_API_KEYS=k1,k2 fanzha serve --model models/default
    fanzha serve --model models/default --check     # validate settings and model, then exit
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Sequence

from service.settings import Settings, SettingsError, env_name, flag_name, load_settings

ALIASES = {"model_dir": ["--model"]}


def build_parser(prog: str) -> argparse.ArgumentParser:
    """One flag per settings field; values stay strings and pydantic parses them, exactly as
    it parses the environment, so both get the same validation and messages."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the fanzha HTTP classification service. Every flag is also an "
        "environment variable (shown in brackets); flags win.",
        argument_default=argparse.SUPPRESS,
    )
    for name, field in Settings.model_fields.items():
        help_text = f"{field.description or name} [{env_name(name)}]"
        flags = [flag_name(name), *ALIASES.get(name, [])]
        if field.annotation is bool:
            action = argparse.BooleanOptionalAction
            parser.add_argument(*flags, dest=name, action=action, help=help_text)
            continue
        choices = None
        if typing.get_origin(field.annotation) is typing.Literal:
            choices = list(typing.get_args(field.annotation))
        parser.add_argument(*flags, dest=name, choices=choices, help=help_text)
    parser.add_argument(
        "--check",
        action="store_true",
        default=False,
        help="validate the settings and load the model, print what would be served, and exit",
    )
    return parser


def check(settings: Settings) -> int:
    from service.models import ModelRejected, RuntimeOptions, build_classifier

    options = RuntimeOptions(settings.intra_op_threads(), settings.allow_spinning())
    try:
        classifier = build_classifier(settings.model_dir, options)
    except ModelRejected as exc:
        print(f"model rejected: {exc}", file=sys.stderr)
        return 2
    print(
        f"ok: model {classifier.version} ({len(classifier.labels)} labels) from "
        f"{settings.model_dir}; {settings.workers} worker(s) x {options.threads} thread(s), "
        f"spinning {'on' if options.allow_spinning else 'off'}; "
        f"auth {'on' if settings.auth_enabled() else 'off'}"
    )
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "fanzha serve") -> int:
    args = vars(build_parser(prog).parse_args(list(argv or [])))
    only_check = args.pop("check", False)
    try:
        settings = load_settings(**args)
    except SettingsError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if only_check:
        return check(settings)
    from service.server import serve

    return serve(settings)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:], "python -m service.cli"))
