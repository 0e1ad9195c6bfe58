"""The catalog page docs/causes.md, generated from the rule registry so that it cannot drift from the code.

Each cause of the public vocabulary (the IDs tests outside the repo match on) is listed with what it
means, how KeyLab recognises it (each rule's ``recognises``) and the fix (each rule's ``fix``).
``python -m kit.diagnose.causes_doc`` rewrites the page; ``--check`` exits 1 when the page is stale, and a
test does the same check.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kit.diagnose.rules import RULES, Rule

__all__ = ["DOC_PATH", "SECTIONS", "VOCABULARY", "Cause", "check", "render", "write"]

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "causes.md"


@dataclass(frozen=True)
class Cause:
    id: str
    section: str
    meaning: str


#: The sections of the vocabulary, in the order the page shows them.
SECTIONS: tuple[str, ...] = (
    "The key's own bytes (found locally, before any request)",
    "Where the key comes from (found locally)",
    "The path between the client and the API",
    "What the API says about a well-formed key (needs requests)",
    "The account, not the key",
    "Transient and request-shaped answers",
    "Tools, runtimes and CI that hold credentials of their own",
    "The path, in more detail",
    "Other providers",
    "Nothing wrong",
)
_K, _S, _P, _A, _O, _T, _R, _D, _V, _N = SECTIONS

#: The public vocabulary of causes: never rename an id (add a new one instead).
VOCABULARY: tuple[Cause, ...] = (
    Cause("key-missing", _K, "a client looks for a key and finds none, or an empty value"),
    Cause("key-placeholder", _K, "the value is template text, not a secret (`your-api-key`, `sk-ant-...`, `<KEY>`)"),
    Cause("key-whitespace", _K, "leading or trailing space, tab, CR or LF"),
    Cause("key-quoted", _K, "straight or typographic quotes kept around or inside the value"),
    Cause("key-invisible-char", _K, "zero-width space, BOM, NBSP, soft hyphen or a control character in the value"),
    Cause("key-non-ascii", _K, "a look-alike letter from another script (Cyrillic `а`, Greek `ο`, fullwidth forms)"),
    Cause("key-bearer-prefix", _K, "the value itself starts with `Bearer `"),
    Cause("key-truncated", _K, "right prefix, too few characters for its kind (`sk-ant-api03-` keys are 108)"),
    Cause("key-extra-chars", _K, "right prefix, extra printable characters (109 is not a valid length)"),
    Cause(
        "key-wrong-provider",
        _K,
        "another provider's credential (OpenAI, OpenRouter, Google, AWS, …) in the Anthropic slot",
    ),
    Cause("key-admin", _K, "an Admin API key (`sk-ant-admin01-`) used for inference"),
    Cause(
        "key-oauth-token", _K, "an OAuth access or refresh token (`sk-ant-oat01-`, `sk-ant-ort01-`) used as an API key"
    ),
    Cause(
        "stale-env-shadows-dotenv",
        _S,
        "an exported `ANTHROPIC_API_KEY` differs from the `.env` value and wins, "
        "because dotenv loaders do not override by default",
    ),
    Cause(
        "auth-token-conflict",
        _S,
        "`ANTHROPIC_AUTH_TOKEN` is set: the client sends `Authorization: Bearer` with it, alone or beside `x-api-key`",
    ),
    Cause(
        "stale-process-env",
        _S,
        "the running process holds a different key than the one now in the shell files "
        "or `.env`: it was started before the change",
    ),
    Cause(
        "profile-shadows",
        _S,
        "a credentials profile of the official SDK supplies a different credential than "
        "intended, or is shadowed by one",
    ),
    Cause(
        "base-url-override",
        _P,
        "`ANTHROPIC_BASE_URL` (or a client's base URL) sends traffic somewhere other than the official API",
    ),
    Cause("proxy-interference", _P, "a proxy or gateway on the path answers or alters the request"),
    Cause("tls-interception", _P, "the TLS certificate is not the API's own chain, or verification fails"),
    Cause("network-unreachable", _P, "DNS, connect or timeout failures before any HTTP answer"),
    Cause("region-blocked", _P, "403 `Request not allowed` without the API's usual envelope"),
    Cause(
        "key-rejected",
        _A,
        "a well-formed key is rejected by the API on every client and endpoint: revoked, "
        "deleted, expired or never issued",
    ),
    Cause("key-inactive", _A, "the Admin API lists the key as `inactive`, `archived` or `expired`"),
    Cause("workspace-id-required", _A, "an identity-linked key is used without the `anthropic-workspace-id` header"),
    Cause("wrong-auth-scheme", _A, "the key travels in a header the endpoint does not accept for it"),
    Cause("both-auth-headers", _A, "`x-api-key` and `Authorization` are both sent and the pair is rejected"),
    Cause("credit-exhausted", _O, "400 `Your credit balance is too low…`"),
    Cause("org-disabled", _O, "400 `This organization has been disabled.`"),
    Cause("spend-limit-reached", _O, "a user-set spend limit or the tier's monthly cap is reached"),
    Cause("permission-denied", _O, "403 `permission_error`: authenticated, not allowed"),
    Cause("rate-limited", _T, "429 `rate_limit_error`"),
    Cause("overloaded", _T, "529 `overloaded_error`"),
    Cause("server-error", _T, "500/504 from the API"),
    Cause("model-unavailable", _T, "404 `model: <id>`: a retired or misspelled model"),
    Cause("version-invalid", _T, "`anthropic-version` missing or not a valid version"),
    Cause(
        "healthy",
        _N,
        "at least one key works end to end through the path the user's clients take, and nothing blocks it",
    ),
    Cause(
        "oauth-token-expired",
        _R,
        "an OAuth access token (Claude Code's login, `claude setup-token`, "
        "`CLAUDE_CODE_OAUTH_TOKEN`) is past its expiry",
    ),
    Cause(
        "key-helper-failed",
        _R,
        "a credential helper (Claude Code's `apiKeyHelper`) fails, times out or prints "
        "something that is not a credential",
    ),
    Cause(
        "tool-settings-override",
        _R,
        "a tool's own settings (for example an `env` block in Claude Code's user, "
        "project, local or managed `settings.json`) set the credential or base URL "
        "and win over the environment the user edited",
    ),
    Cause(
        "api-key-overrides-login",
        _R,
        "an exported API key makes a tool use pay-as-you-go API billing instead of "
        "the subscription the user logged in with (or the reverse), so credit or "
        "organization errors appear",
    ),
    Cause(
        "cloud-provider-mode",
        _R,
        "a client is switched to a cloud platform (`CLAUDE_CODE_USE_BEDROCK`, "
        "`CLAUDE_CODE_USE_VERTEX`, `CLAUDE_CODE_USE_FOUNDRY`, "
        "`GOOGLE_GENAI_USE_VERTEXAI`), so the API key is not used at all",
    ),
    Cause(
        "env-file-precedence",
        _R,
        "a runtime loads several env files in an order the user does not expect "
        "(`.env.local` over `.env`, `.env.development`, direnv's `.envrc`, Bun's "
        "automatic loading) and another file's value wins",
    ),
    Cause(
        "ci-secret-withheld",
        _R,
        "CI hands the job an empty or missing secret (pull requests from forks, "
        "Dependabot's separate secret store, a reusable workflow without `secrets: "
        "inherit`)",
    ),
    Cause(
        "base-url-path",
        _D,
        "the base URL's path is wrong for the client that uses it (`/v1` doubled or missing, "
        "an extra path segment), so requests reach a 404 or an HTML page instead of the "
        "endpoint",
    ),
    Cause(
        "gateway-auth",
        _D,
        "a gateway in the base URL (LiteLLM, Cloudflare AI Gateway, OpenRouter, Portkey) "
        "rejects the credential with its own error, or needs its own credential beside the "
        "provider's key",
    ),
    Cause(
        "duplicate-auth-header",
        _D,
        "the same auth header is sent twice (an SDK's key plus `default_headers` or "
        "`ANTHROPIC_CUSTOM_HEADERS`), joined by the HTTP stack into one invalid value",
    ),
    Cause(
        "alias-var-shadows",
        _V,
        "a second variable the client also reads wins over the one the user set "
        "(`GOOGLE_API_KEY` over `GEMINI_API_KEY`)",
    ),
    Cause(
        "org-mismatch",
        _V,
        "the organization or project header (`OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`) names one "
        "the key does not belong to",
    ),
    Cause("key-missing-scopes", _V, "a restricted key lacks the permission the endpoint needs"),
    Cause(
        "key-restricted",
        _V,
        "the key is restricted by API, referrer, IP or application, and this request does not match",
    ),
    Cause("api-not-enabled", _V, "the API is not enabled for the key's cloud project"),
    Cause(
        "key-format-retired",
        _V,
        "a key format the provider no longer accepts (old-style unrestricted Gemini `AIza` keys)",
    ),
)


def _module(r: Rule) -> str:
    module = getattr(r.check, "__module__", "kit.diagnose.rules")
    return module.replace(".", "/") + ".py"


def render(rules: Sequence[Rule] = RULES) -> str:
    """The page, as Markdown."""
    by_cause: dict[str, list[Rule]] = {}
    for r in rules:
        for cause_id in r.causes:
            by_cause.setdefault(cause_id, []).append(r)
    known = {c.id for c in VOCABULARY}
    lines = [
        "# Causes KeyLab recognises",
        "",
        "<!-- Generated by `python -m kit.diagnose.causes_doc` from the rule registry (kit/diagnose/rules/). "
        "Do not edit by hand: a test fails when this page is stale. -->",
        "",
        "Every finding of `python -m kit doctor`, the notebooks and the HTML report names exactly one of these "
        "causes. The IDs are a public contract: they are never renamed. For each cause: what it means, how "
        "KeyLab recognises it (the rule that reports it), and the fix.",
        "",
        f"{len(VOCABULARY)} causes, {len(rules)} rules. Findings are ranked blockers first, then `healthy`, then "
        "warnings and information; within a level, the cause that explains the most evidence comes first.",
        "",
    ]
    for section in SECTIONS:
        lines += [f"## {section}", ""]
        for cause in (c for c in VOCABULARY if c.section == section):
            lines += [f"### `{cause.id}`", "", f"**Meaning.** {cause.meaning[:1].upper()}{cause.meaning[1:]}.", ""]
            found = by_cause.get(cause.id, [])
            if not found:
                lines += ["**How KeyLab recognises it.** No rule reports this cause yet.", ""]
                continue
            for r in found:
                lines += [
                    f"**How KeyLab recognises it** (rule `{r.name}`, {_module(r)}). {r.recognises}",
                    "",
                    f"**Fix.** {r.fix}",
                    "",
                ]
    extra = sorted(set(by_cause) - known)
    if extra:
        lines += [
            "## Causes not in the vocabulary",
            "",
            "These are reported by rules but not (yet) part of the public vocabulary:",
            "",
        ]
        lines += [f"- `{c}` (rule {', '.join(r.name for r in by_cause[c])})" for c in extra]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path = DOC_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


def check(path: Path = DOC_PATH) -> bool:
    """True when the page on disk is what the registry generates now."""
    try:
        return path.read_text(encoding="utf-8") == render()
    except OSError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.diagnose.causes_doc", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/causes.md is stale")
    parser.add_argument("--out", type=Path, default=DOC_PATH)
    args = parser.parse_args(argv)
    if args.check:
        if check(args.out):
            return 0
        print(f"{args.out} is stale: run `python -m kit.diagnose.causes_doc`", file=sys.stderr)
        return 1
    print(write(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
