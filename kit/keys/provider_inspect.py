"""Inspect a value against another provider's key formats (OpenAI, Gemini, the OpenAI-compatible ones).

The byte-level defects (blank, placeholder, whitespace, quotes, invisible and look-alike characters,
``Bearer ``) are the same for every provider, so they come from ``inspect_key``; what depends on the
provider (which format it is, too short or too long, another provider's key, an admin key) is decided
here from the profile in data/catalog/providers.toml. ``inspect_key`` stays the Anthropic inspection.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from kit.keys.clean import clean
from kit.keys.inspect import inspect_key
from kit.keys.naming import as_text, coerce
from kit.keys.report import Defect, KeyReport
from kit.providers import ProviderKind, ProviderProfile, providers

__all__ = ["BYTE_CAUSES", "describe_foreign", "inspect_for"]

#: The defects every provider shares: they are about the bytes, not about a format.
BYTE_CAUSES = frozenset(
    {
        "key-missing",
        "key-placeholder",
        "key-whitespace",
        "key-quoted",
        "key-invisible-char",
        "key-non-ascii",
        "key-bearer-prefix",
    }
)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower() if url else ""


def _any_kind(value: str) -> ProviderKind | None:
    """The exact format ``value`` has among every provider's (longest prefix first; Anthropic's too)."""
    kinds = sorted((k for p in providers().values() for k in p.kinds), key=lambda k: -len(k.prefix))
    exact = next((k for k in kinds if k.prefix and k.matches(value)), None)
    if exact is not None:
        return exact
    # A prefix shared by nobody else names the provider even when the length is off (a truncated sk-or- key).
    return next((k for k in kinds if len(k.prefix) >= 4 and value.startswith(k.prefix)), None)


def describe_foreign(kind: ProviderKind, profile: ProviderProfile, variable: str, base_url: str) -> str:
    """ "this is an OpenRouter key in OPENAI_API_KEY with the OpenAI base URL" (no secret in it)."""
    where = f" in {variable}" if variable else ""
    host = _host(base_url) or profile.official_host
    url = f"the {profile.label} base URL" if host == profile.official_host else f"the base URL {host}"
    return f"this is {_a(kind.label)}{where} with {url}"


def _a(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label


def inspect_for(
    raw: bytes | str | None,
    profile: ProviderProfile,
    *,
    alias: str = "key",
    source: str = "",
    variable: str = "",
    base_url: str = "",
) -> KeyReport:
    """Examine a credential meant for ``profile``'s API. Never raises; the report never holds the secret.

    ``variable`` and ``base_url`` only make the wording exact ("an OpenRouter key in OPENAI_API_KEY with
    the OpenAI base URL"); a key of the provider whose host the base URL names is not another provider's.
    """
    base = inspect_key(raw, alias=alias, source=source)
    if profile.protocol == "anthropic":
        return base
    text = as_text(coerce(raw))
    defects = [d for d in base.defects if d.cause in BYTE_CAUSES]
    if base.role in ("missing", "placeholder"):
        return replace(base, defects=tuple(defects), provider=profile.name, notes=())
    cleaned = clean(text)
    start = text.find(cleaned[:4]) if cleaned else 0
    kind = profile.classify(cleaned)
    expected: int | None = None
    label = "unrecognised value"
    role = "unknown"
    if kind is not None:
        label, role, expected = kind.label, kind.role, len(cleaned)
        if kind.role == "admin":
            defects.append(
                Defect(
                    "key-admin",
                    f"this is {_a(kind.label)}: it manages the organization and is not meant for inference requests",
                )
            )
    else:
        other = _any_kind(cleaned)
        own = next(
            (
                k
                for k in profile.kinds
                if k.prefix and cleaned.startswith(k.prefix) and (other is None or len(k.prefix) >= len(other.prefix))
            ),
            None,
        )
        if own is not None:
            label, role = own.label, own.role
            expected = own.lengths[0] if own.lengths else None
            _length_defects(cleaned, own, start, defects)
        elif other is not None and not (_host(base_url) and _host(base_url) == _official_host(other)):
            label, role = other.label, "foreign"
            defects.append(Defect("key-wrong-provider", describe_foreign(other, profile, variable, base_url)))
        elif other is not None:
            label, role = other.label, "api"  # the base URL names that provider: a compatible endpoint
        else:
            prefixes = ", ".join(sorted({f"'{k.prefix}'" for k in profile.kinds if k.prefix and k.role == "api"}))
            if prefixes:
                defects.append(
                    Defect(
                        "key-wrong-provider",
                        "the value does not start with any known key prefix "
                        f"({profile.label} keys start with {prefixes})",
                    )
                )
            else:
                role = "api"  # a provider without a prefix (Mistral): nothing to say about the format
    notes = tuple(n for n in base.notes if "CR LF" in n)
    return replace(
        base,
        kind=kind.id if kind else None,
        kind_label=label,
        role=role,  # type: ignore[arg-type]
        expected_length=expected,
        defects=tuple(defects),
        provider=profile.name,
        notes=notes,
    )


def _official_host(kind: ProviderKind) -> str:
    owner = providers().get(kind.provider)
    return owner.official_host if owner is not None else ""


def _length_defects(cleaned: str, kind: ProviderKind, start: int, defects: list[Defect]) -> None:
    """Right prefix, wrong length or alphabet: truncated or extra characters."""
    lengths = kind.lengths
    odd = [(i, c) for i, c in enumerate(cleaned) if i >= len(kind.prefix) and c not in kind.allowed]
    if odd:
        i, c = odd[0]
        defects.append(
            Defect("key-extra-chars", f"a character outside the {kind.label} alphabet", start + i, f"U+{ord(c):04X}")
        )
    elif lengths and len(cleaned) not in lengths and len(cleaned) < max(lengths):
        defects.append(
            Defect(
                "key-truncated",
                f"{len(cleaned)} characters: {_a(kind.label)} has {' or '.join(str(n) for n in lengths)}",
            )
        )
    elif lengths and len(cleaned) not in lengths:
        defects.append(
            Defect(
                "key-extra-chars",
                f"{len(cleaned)} characters: {_a(kind.label)} has {' or '.join(str(n) for n in lengths)}",
            )
        )
