"""What the editor's palette offers to insert at the cursor: the variables of the
communication's data schema (nested paths, loops over lists), the names every template
has (brand, theme, locale) and the brand's published shared blocks."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from templates_store.models import Brand
from templates_store.shared_selectors import block_versions_published

# Names every template may use besides the communication's data (see lint.BUILTIN_NAMES).
BUILTIN_VARIABLES: tuple[tuple[str, str], ...] = (
    ("brand.name", "string"),
    ("locale", "string"),
    ("theme.primary_color", "string"),
    ("theme.accent_color", "string"),
    ("theme.text_color", "string"),
    ("theme.font_family", "string"),
    ("theme.logo", "string"),
)
# Deeper schemas are cut here: a palette is for picking, not for browsing a data model.
MAX_DEPTH = 6


@dataclass(frozen=True)
class PaletteVariable:
    """One schema path. ``snippet`` is what is inserted; ``depth`` indents it under its
    parent; ``loop`` marks a list, whose snippet is a for loop over it."""

    path: str
    type: str
    title: str
    snippet: str
    depth: int = 0
    loop: bool = False


@dataclass(frozen=True)
class PaletteBlock:
    key: str
    name: str

    @property
    def snippet(self) -> str:
        return f'{{{{ block("{self.key}") }}}}'


@dataclass(frozen=True)
class Palette:
    variables: tuple[PaletteVariable, ...]
    builtins: tuple[PaletteVariable, ...]
    blocks: tuple[PaletteBlock, ...]


def _type_label(node: Mapping[str, Any]) -> str:
    kind = node.get("type", "")
    if isinstance(kind, list):
        kind = "|".join(str(k) for k in kind if k != "null")
    label = str(kind or ("object" if "properties" in node else "any"))
    if node.get("format"):
        label += f" ({node['format']})"
    return label


def _resolve(node: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local ``$ref`` (``#/$defs/...`` or ``#/definitions/...``) once or more."""
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 10:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        if not isinstance(target, Mapping):
            break
        node, seen = target, seen + 1
    return node if isinstance(node, Mapping) else {}


def _loop_name(path: str, depth: int) -> str:
    last = path.rsplit(".", 1)[-1]
    singular = last[:-1] if last.endswith("s") and len(last) > 1 else f"{last}_item"
    return singular if depth == 0 else f"{singular}{depth}"


def _walk(
    properties: Mapping[str, Any],
    root: Mapping[str, Any],
    prefix: str,
    depth: int,
    out: list[PaletteVariable],
) -> None:
    if depth >= MAX_DEPTH:
        return
    for name in properties:
        node = _resolve(properties[name], root)
        path = f"{prefix}{name}"
        title = str(node.get("title") or node.get("description") or "")
        kind = node.get("type")
        if kind == "array" or (isinstance(kind, list) and "array" in kind):
            items = _resolve(node.get("items", {}), root)
            loop_var = _loop_name(path, depth)
            out.append(
                PaletteVariable(
                    path=path,
                    type=f"array of {_type_label(items)}",
                    title=title,
                    snippet=(
                        f"{{% for {loop_var} in {path} %}}\n{{{{ {loop_var} }}}}\n{{% endfor %}}"
                    ),
                    depth=depth,
                    loop=True,
                )
            )
            if isinstance(items.get("properties"), Mapping):
                _walk(items["properties"], root, f"{loop_var}.", depth + 1, out)
            continue
        out.append(
            PaletteVariable(
                path=path,
                type=_type_label(node),
                title=title,
                snippet=f"{{{{ {path} }}}}",
                depth=depth,
            )
        )
        if isinstance(node.get("properties"), Mapping):
            _walk(node["properties"], root, f"{path}.", depth + 1, out)


def schema_variables(schema: Mapping[str, Any]) -> tuple[PaletteVariable, ...]:
    """Every path of ``schema`` a template can use, in the schema's order: objects give
    ``parent.child``, lists give a for loop and the paths of one item under it."""
    root = _resolve(schema, schema)
    properties = root.get("properties")
    out: list[PaletteVariable] = []
    if isinstance(properties, Mapping):
        _walk(properties, schema, "", 0, out)
    return tuple(out)


def palette_blocks(*, brand: Brand) -> tuple[PaletteBlock, ...]:
    """The blocks a draft of ``brand`` may insert: the brand's published ones, by key."""
    return tuple(
        PaletteBlock(key=version.block.key, name=version.block.name)
        for version in block_versions_published(brand=brand).order_by("block__key")
    )


def palette_for(*, schema: Mapping[str, Any], brand: Brand) -> Palette:
    """The palette of a communication of ``brand`` whose data schema is ``schema``."""
    return Palette(
        variables=schema_variables(schema or {}),
        builtins=tuple(
            PaletteVariable(path=path, type=kind, title="", snippet=f"{{{{ {path} }}}}")
            for path, kind in BUILTIN_VARIABLES
        ),
        blocks=palette_blocks(brand=brand),
    )
