"""The FILES arguments of vigil_plan and vigil_apply: files, or directories of *.yaml / *.yml."""

from pathlib import Path

from django.core.management.base import CommandError


def add_file_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", help="YAML or JSON files, or directories of *.yaml and *.yml files.")
    parser.add_argument(
        "--prune", action="store_true", help="Delete objects config created that are no longer in the files."
    )


def read_files(names: list[str]) -> list[tuple[str, str]]:
    paths: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            paths += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        elif path.is_file():
            paths.append(path)
        else:
            raise CommandError(f"{name}: no such file or directory")
    return [(str(path), path.read_text(encoding="utf-8")) for path in paths]
