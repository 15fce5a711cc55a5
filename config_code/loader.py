"""Reading configuration files: YAML (or JSON) into definitions, every error with its place.

Each file is composed into YAML nodes first, so every value's line is known; a pydantic error's
location (("monitors", 3, "interval_seconds")) becomes `file:line: monitors[3].interval_seconds`.
All errors of all files are collected, so one run shows everything to fix. Secrets are never in
the file: a string `${env:NAME}` is replaced by that environment variable's value when read.
"""

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from .schema import SECTIONS, SINGLETONS, Definition, Layout


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's parser when PyYAML was built with it (the wheels are): 3x faster on a big file;
    both give nodes with their marks, which is all the line numbers need. Resolving a plain
    scalar's type (int? bool? a date?) is PyYAML's regexes in Python, then the main cost: the
    answer depends only on the text, and most texts repeat (every field name), so it is kept."""

    def __init__(self, stream):
        super().__init__(stream)
        self._resolved: dict = {}

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        if key not in self._resolved:
            self._resolved[key] = super().resolve(kind, value, implicit)
        return self._resolved[key]


ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigError:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if not where:  # about the files as a whole
            return self.message
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def path_text(loc: Iterable[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class Source:
    """One file read: its name and the line of every value, by location."""

    name: str
    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int | None:
        """The line of LOC, or of its nearest enclosing value (a missing field: its object's line)."""
        while loc not in self.lines and loc:
            loc = loc[:-1]
        return self.lines.get(loc)

    def error(self, loc: Loc, message: str) -> ConfigError:
        return ConfigError(self.name, self.line(loc), path_text(loc), message)


@dataclass
class Entry:
    """One object's definition and where it was written (`kind[index]` of SOURCE)."""

    kind: str
    index: int
    definition: Definition
    source: Source

    @property
    def key(self) -> str:
        return self.kind if self.index is None else self.definition.key  # a singleton's is its section's

    @property
    def place(self) -> Loc:
        """Its location in the file: ("monitors", 3), or ("status_page",) for a singleton."""
        return (self.kind,) if self.index is None else (self.kind, self.index)

    def error(self, field_name: str | None, message: str) -> ConfigError:
        return self.source.error((*self.place, field_name) if field_name else self.place, message)


@dataclass
class Loaded:
    entries: dict[str, dict[str, Entry]] = field(default_factory=dict)  # kind -> key -> entry
    errors: list[ConfigError] = field(default_factory=list)
    invalid_keys: dict[str, set] = field(default_factory=dict)  # kind -> keys of objects refused
    _flawed: tuple[int, set] = field(default=(-1, set()), repr=False)  # (errors seen, {(file, "monitors[3]")})

    def flawed(self, entry: Entry) -> bool:
        """ENTRY has an error already (a secret not set...): its model's checks would only repeat it."""
        if self._flawed[0] != len(self.errors):  # errors are only ever added: rebuilt when they grew
            self._flawed = (len(self.errors), {(e.file, e.path.split(".", 1)[0]) for e in self.errors})
        return (entry.source.name, path_text(entry.place)) in self._flawed[1]


def _walk(loader: YamlLoader, node: yaml.Node, loc: Loc, source: Source, errors: list, done: set) -> None:
    """Note the line of every value. A node reached again through an alias (`*defaults`) is walked
    once: its values keep their first place, and a node containing itself cannot loop."""
    source.lines[loc] = node.start_mark.line + 1
    if id(node) in done:
        return
    done.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base`: its values are placed where written
                continue
            key = loader.construct_object(key_node, deep=True)
            if key in seen:  # YAML would keep the last silently: an author's slip, shown
                errors.append(
                    ConfigError(source.name, key_node.start_mark.line + 1, path_text((*loc, key)), "Written twice.")
                )
            seen.add(key)
            _walk(loader, value_node, (*loc, key), source, errors, done)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(loader, item, (*loc, index), source, errors, done)


def _substitute(value, loc: Loc, source: Source, errors: list, environ: Mapping[str, str], memo: dict):
    """VALUE with each `${env:NAME}` replaced. A list or mapping shared through aliases is done once
    (MEMO): nested aliases cannot make the work grow exponentially (the "billion laughs")."""
    if isinstance(value, dict | list):
        if id(value) in memo:
            return memo[id(value)]
        memo[id(value)] = done = type(value)()  # a value containing itself gets this (pydantic refuses it)
        if isinstance(value, dict):
            done.update({k: _substitute(v, (*loc, k), source, errors, environ, memo) for k, v in value.items()})
        else:
            done.extend(_substitute(v, (*loc, i), source, errors, environ, memo) for i, v in enumerate(value))
        return done
    if isinstance(value, str) and "\x00" in value:  # no database column keeps one (PostgreSQL refuses it)
        errors.append(source.error(loc, "Contains a NUL character (\\0)."))
        return value.replace("\x00", "")
    if isinstance(value, str) and "${env:" in value:

        def replace(match: re.Match) -> str:
            if match.group(1) not in environ:
                message = f"The environment variable {match.group(1)} is not set"
                if isinstance(environ, ServerSecrets) and not match.group(1).startswith(ServerSecrets.PREFIX):
                    message += f" (over the API, only Vigil's own {ServerSecrets.PREFIX}* variables are read)"
                errors.append(source.error(loc, message + "."))
                return ""
            return environ[match.group(1)]

        return ENV_REFERENCE.sub(replace, value)
    return value


class ServerSecrets(dict):
    """What `${env:NAME}` may read in a file sent over the API: only Vigil's own environment
    variables named VIGIL_CONFIG_*. Never the rest (SECRET_KEY, DATABASE_URL...): an admin could
    otherwise put them in a monitor's header and read them at a server of theirs."""

    PREFIX = "VIGIL_CONFIG_"

    def __init__(self, environ: Mapping[str, str] = os.environ):
        super().__init__({name: value for name, value in environ.items() if name.startswith(self.PREFIX)})


def parse(name: str, text: str, errors: list, environ: Mapping[str, str]) -> tuple[dict | None, Source]:
    """The document of one file with its lines, or None (and the reason in ERRORS)."""
    source = Source(name)
    loader = YamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:  # walked before construction merges `<<: *base` into the mappings
            _walk(loader, node, (), source, errors, set())
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        errors.append(ConfigError(name, mark.line + 1 if mark else None, "", f"Not valid YAML: {exc}"))
        return None, source
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        errors.append(ConfigError(name, 1, "", "A configuration file is a mapping of sections (teams, monitors...)."))
        return None, source
    return _substitute(data, (), source, errors, environ, {}), source


def _validate(data: dict, source: Source, errors: list) -> dict[str, list[tuple[int | None, Definition | None, Any]]]:
    """Each section's items, validated one by one so that one bad object does not hide the others'
    mistakes: (index, definition or None when invalid, the key as written)."""
    sections = {name: data.get(name, []) for name in SECTIONS}
    # A singleton's mapping is its one item, at index None (config_code.schema.SINGLETONS).
    sections |= {name: [] if data.get(name) is None else [data[name]] for name in SINGLETONS}
    try:
        Layout.model_validate(data)
    except ValidationError as exc:
        errors += [source.error(tuple(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        sections = {name: items if isinstance(items, list) else [] for name, items in sections.items()}
        sections |= {name: [] for name in SINGLETONS if not isinstance(data.get(name), dict | None)}
    read: dict[str, list] = {}
    for name, items in sections.items():
        definition_type = SECTIONS[name]
        for index, item in enumerate(items):
            index = None if name in SINGLETONS else index
            written_key = name if index is None else item.get("key") if isinstance(item, dict) else None
            place = (name,) if index is None else (name, index)
            try:
                definition = definition_type.model_validate(item)
            except ValidationError as exc:
                errors += [source.error((*place, *e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
                definition = None
            read.setdefault(name, []).append((index, definition, written_key))
    return read


def load(files: Iterable[tuple[str, str]], environ: Mapping[str, str] | None = None) -> Loaded:
    """Read FILES ((name, text) pairs) as one configuration: every key once per kind."""
    environ = os.environ if environ is None else environ
    loaded = Loaded()
    for name, text in files:
        data, source = parse(name, text, loaded.errors, environ)
        if data is None:
            continue
        for kind, items in _validate(data, source, loaded.errors).items():
            for index, definition, written_key in items:
                if definition is None:  # reported; a reference to its key is not a second mistake
                    loaded.invalid_keys.setdefault(kind, set()).add(written_key)
                    continue
                entry = Entry(kind, index, definition, source)
                known = loaded.entries.setdefault(kind, {})
                if entry.key in known:
                    first = known[entry.key]
                    where = f"{first.source.name}:{first.source.line(first.place)}"
                    message = f"The key {entry.key!r} is already used at {where}."
                    if index is None:
                        message = f"{kind} is already set at {where}: once across the files."
                    loaded.errors.append(entry.error(None if index is None else "key", message))
                    continue
                known[entry.key] = entry
    return loaded
