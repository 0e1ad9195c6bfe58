"""Rules over the key reports: what each credential's own bytes say, before any request.

One rule per cause. Each looks at ``evidence.keys`` (``KeyReport``s, with the ``Source`` each came from in
``evidence.sources`` and the clients that send it in ``evidence.winners``) and reports the defect with its
position and Unicode name, the key's hint and fingerprint, the repaired candidate, and a fix that names
the file, line or variable to change.

Severity: a defect in a key some client sends, or in a key the user is testing (a key file), is a
``blocker``; in a key no client reads now it is a ``warning`` (it will bite once that source wins).
The kind of credential is judged against its slot: an Admin key in ``ANTHROPIC_ADMIN_API_KEY`` or an
OAuth token in an SDK profile is where it belongs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from kit.diagnose.rules.base import Rule, rule
from kit.keys.report import Defect, KeyReport
from kit.values import Evidence, Finding, Severity

__all__ = ["RULES"]
from kit.diagnose.rules.key_evidence import (
    _INFERENCE_SLOTS,
    _TR_CLEAN,
    CONFIDENCE,
    _editable,
    _kind,
    _lines,
    _reload,
    _repairers,
    _senders,
    _severity,
    _slot,
    _source,
    _where,
)


def _finding(
    evidence: Evidence,
    report: KeyReport,
    cause: str,
    title: str,
    fix: str,
    defects: Sequence[Defect],
    *,
    extra: Iterable[str] = (),
    severity: Severity | None = None,
    confidence: float | None = None,
) -> Finding:
    senders = _senders(evidence, report) + _repairers(evidence, report)
    return Finding(
        cause=cause,
        severity=severity or _severity(evidence, report),
        confidence=confidence if confidence is not None else CONFIDENCE[cause],
        title=title,
        evidence=tuple(_lines(evidence, report, defects) + list(extra)),
        fix=fix,
        explains=len(senders),
    )


def _defects(report: KeyReport, cause: str) -> list[Defect]:
    return [d for d in report.defects if d.cause == cause]


def _title(report: KeyReport, what: str, defects: Sequence[Defect]) -> str:
    first = defects[0] if defects else None
    detail = ""
    if first is not None and first.char:
        detail = f": {first.char}" + (f" at position {first.position}" if first.position is not None else "")
    more = f" (and {len(defects) - 1} more)" if len(defects) > 1 else ""
    return f"'{report.alias}' {what}{detail}{more}"


def _positions(defects: Sequence[Defect]) -> str:
    named = [f"{d.char} at position {d.position}" for d in defects if d.char and d.position is not None]
    return "; ".join(named[:4]) + (" ..." if len(named) > 4 else "")


def _rewrite_file(evidence: Evidence, report: KeyReport, how: str) -> str:
    source = _editable(evidence, report)
    if source and source.kind == "file" and source.path:
        path = source.path
        return (
            f"{how} in {path}, e.g. `{_TR_CLEAN} < {path} > {path}.new && mv {path}.new {path}` (keeps only key "
            f"characters; check that the result's hint is {report.repaired_hint or 'the Console hint'})."
        )
    return f"{how} in {_where(evidence, report)}." + _reload(evidence, report)


def _each(
    cause: str, build: Callable[[Evidence, KeyReport, list[Defect]], Finding | None]
) -> Callable[[Evidence], Iterable[Finding]]:
    def check(evidence: Evidence) -> Iterable[Finding]:
        for report in evidence.keys:
            defects = _defects(report, cause)
            if not defects:
                continue
            finding = build(evidence, report, defects)
            if finding is not None:
                yield finding

    return check


# ----------------------------------------------------------------------------------------------------
# The rules


@rule(
    "key-missing",
    recognises="a credential that is empty or only blank/invisible characters (a blank "
    "`ANTHROPIC_API_KEY=` line, an empty export, an empty key file)",
    fix="put the key in that place, or delete the blank line so it stops shadowing the real one",
)
def blank_credential(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding:
        source = _source(ev, report)
        extra = []
        if source and source.kind == "env":
            extra.append(
                f"${source.variable} is set but blank: load_dotenv() does not override it (a set variable, "
                "even an empty one, wins), the Python SDK treats it as unset, and Node SDK 0.24 throws "
                "'Could not resolve authentication method'"
            )
        elif source and source.kind == "dotenv":
            extra.append(f"{source.location} assigns an empty value: an app that loads this .env gets no key")
        fix = (
            f"Put the key in {_where(ev, report)} or delete the blank assignment so it stops shadowing a real "
            "key." + _reload(ev, report)
        )
        if source and source.kind == "env":
            fix = (
                f"Run `unset {source.variable}` (and remove the blank export from your shell start-up file), or "
                "set it to the key." + _reload(ev, report)
            )
        return _finding(
            ev, report, "key-missing", f"'{report.alias}' is empty", fix, defects, extra=extra, severity="warning"
        )

    return _each("key-missing", build)(evidence)


@rule(
    "key-placeholder",
    recognises="template text instead of a secret: `your-api-key`, `sk-ant-...`, `<KEY>`, "
    "`[REDACTED]`, a Console hint (`sk-ant-api03-R2D...igAA`), an unexpanded `${VAR}`",
    fix="replace the placeholder with the real key (the Console shows a key in full only once, at creation)",
)
def placeholder(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding:
        fix = (
            f"Replace the placeholder in {_where(ev, report)} with the real key. The Console shows a key in full "
            "only when it is created; if you no longer have it, create a new key." + _reload(ev, report)
        )
        return _finding(ev, report, "key-placeholder", f"'{report.alias}' is a placeholder, not a key", fix, defects)

    return _each("key-placeholder", build)(evidence)


@rule(
    "key-whitespace",
    recognises="a space, tab, CR or LF at the start, end or inside the value",
    fix="remove the whitespace; write key files with `printf %s`, not `echo`",
)
def whitespace(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding:
        names = {d.char for d in defects}
        newline_only = all(d.detail == "trailing whitespace" for d in defects) and names <= {
            "U+000A LINE FEED",
            "U+000D CARRIAGE RETURN",
        }
        extra = [
            "clients differ: Node SDK trims environment values, Python's h11 refuses a header with leading or "
            "trailing whitespace or a line break ('Illegal header value', a client error, not a 401), curl "
            "sends the bytes as they are"
        ]
        extra += [n for n in report.notes if "echo" in n]
        what = "ends with a line break" if newline_only else "holds whitespace"
        source = _editable(ev, report)
        if newline_only and source and source.kind == "file" and source.path:
            path = source.path
            fix = (
                f'Rewrite {path} without the line break: `printf %s "$(cat {path})" > {path}.new && mv '
                f"{path}.new {path}` ($(cat) drops trailing newlines). Write keys with `printf %s`, not `echo`."
            )
        else:
            fix = _rewrite_file(ev, report, f"Remove the whitespace ({_positions(defects)})")
        return _finding(ev, report, "key-whitespace", _title(report, what, defects), fix, defects, extra=extra)

    return _each("key-whitespace", build)(evidence)


@rule(
    "key-quoted",
    recognises="straight or typographic quotes kept in the value (often 110 characters)",
    fix="remove the quotes from the value; for loaders that keep quotes (Docker --env-file), write it unquoted",
)
def quoted(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding:
        extra = []
        if any(d.char and not d.char.startswith(("U+0022", "U+0027", "U+0060")) for d in defects):
            extra.append("typographic quotes come from word processors, chat apps and rich-text pages")
        source = _editable(ev, report)
        if source and source.kind == "dotenv":
            extra.append(
                "python-dotenv removes one pair of matching quotes around a value; these are inside it, or mismatched"
            )
        fix = _rewrite_file(ev, report, f"Remove the quote characters ({_positions(defects)})")
        return _finding(
            ev, report, "key-quoted", _title(report, "keeps quote characters", defects), fix, defects, extra=extra
        )

    return _each("key-quoted", build)(evidence)


@rule(
    "key-invisible-char",
    recognises="zero-width characters, BOM, bidirectional controls, no-break or unusual "
    "spaces, soft hyphens, control characters or invalid UTF-8 bytes inside the value",
    fix="delete the invisible character or copy the key again with the Console's copy button",
)
def invisible(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding:
        classes = sorted({d.detail for d in defects if d.position is not None})
        extra = [
            f"invisible in terminals and editors: {', '.join(classes)}",
            "Node refuses characters above U+00FF in a header ('Cannot convert argument to a ByteString'); "
            "h11 refuses control characters; curl sends the bytes",
        ]
        fix = _rewrite_file(
            ev,
            report,
            f"Delete the invisible character(s) ({_positions(defects)}), or paste the "
            "key again from the Console's copy button into a plain-text editor,",
        )
        return _finding(
            ev,
            report,
            "key-invisible-char",
            _title(report, "holds an invisible character", defects),
            fix,
            defects,
            extra=extra,
        )

    return _each("key-invisible-char", build)(evidence)


@rule(
    "key-non-ascii",
    recognises="look-alike letters from other scripts (Cyrillic а, Greek ο), fullwidth forms, combining marks",
    fix="type the key again or copy it from the Console; never retype it from a screenshot or a PDF",
)
def non_ascii(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding:
        fix = (
            f"Copy the key again from the Console into {_where(ev, report)}: the character(s) "
            f"{_positions(defects)} only look like ASCII. Do not retype keys from screenshots, PDFs or "
            "chat apps that auto-correct." + _reload(ev, report)
        )
        return _finding(
            ev, report, "key-non-ascii", _title(report, "holds a look-alike character", defects), fix, defects
        )

    return _each("key-non-ascii", build)(evidence)


@rule(
    "key-bearer-prefix",
    recognises="the value itself starts with `Bearer `",
    fix="store only the key; clients add the `Bearer ` scheme themselves when they use Authorization",
)
def bearer_prefix(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding:
        fix = (
            f"Remove 'Bearer ' from the start of the value in {_where(ev, report)}: store only the key. Clients "
            "that send Authorization add the scheme themselves ('Bearer Bearer sk-…' otherwise), and x-api-key "
            "takes the bare key." + _reload(ev, report)
        )
        return _finding(ev, report, "key-bearer-prefix", f"'{report.alias}' starts with 'Bearer '", fix, defects)

    return _each("key-bearer-prefix", build)(evidence)


@rule(
    "key-truncated",
    recognises="the right prefix with too few characters (`sk-ant-api03-` keys are 108), or "
    "a key that does not end with its closing `AA`",
    fix="copy the whole key again; if it is gone, create a new one",
)
def truncated(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding:
        fix = (
            f"Copy the whole key again into {_where(ev, report)} ({report.expected_length or 'all'} characters, "
            "using the Console's copy button rather than selecting by hand). The Console shows a key only once: "
            "if you no longer have it, create a new key." + _reload(ev, report)
        )
        return _finding(
            ev,
            report,
            "key-truncated",
            f"'{report.alias}' is cut short: {defects[0].detail}",
            fix,
            defects,
            extra=[n for n in report.notes if "characters" in n][:1],
        )

    return _each("key-truncated", build)(evidence)


@rule(
    "key-extra-chars",
    recognises="the right prefix with extra characters (109 is not a valid length): a stray "
    "`.`, `%`, `,`, a pasted `NAME=` label, or a whole file read as the key",
    fix="remove the extra character(s); the report names each one and its position",
)
def extra_chars(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding:
        label = next((d for d in defects if "label" in d.detail), None)
        huge = next((d for d in defects if "far longer" in d.detail), None)
        notes = [n for n in report.notes if "echo" in n]
        if huge:
            title = f"'{report.alias}' is a whole file or document, not a key ({report.length} characters)"
            fix = (
                f"Point {_where(ev, report)} at the key alone, not at a file or document"
                + (f" (it holds one key: {report.repaired_hint})" if report.repaired_hint else "")
                + "."
            )
        elif any("sits inside other text" in d.detail for d in defects):
            title = f"'{report.alias}' is a key inside other text"
            fix = _rewrite_file(ev, report, f"Keep only the key ({report.repaired_hint}), without the text around it")
        elif label:
            title = f"'{report.alias}' starts with a pasted label"
            fix = _rewrite_file(ev, report, "Remove the label so the value starts with the key itself")
        else:
            title = _title(report, "has extra characters", defects)
            if report.expected_length and report.length != report.expected_length:
                title += f" ({report.length} characters; a {report.kind_label} has {report.expected_length})"
            fix = _rewrite_file(ev, report, f"Remove the extra character(s) ({_positions(defects) or 'see above'})")
        return _finding(ev, report, "key-extra-chars", title, fix, defects, extra=notes)

    return _each("key-extra-chars", build)(evidence)


@rule(
    "key-wrong-provider",
    recognises="another provider's credential (OpenAI `sk-proj-`, OpenRouter `sk-or-`, "
    "Google `AIza`, AWS `AKIA`, …) or an unknown format in the Anthropic slot",
    fix="put an Anthropic API key (`sk-ant-api03-…`) in the Anthropic variable; keep the other key in its own",
)
def wrong_provider(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding | None:
        slot = _slot(ev, report)
        if slot == "ANTHROPIC_ADMIN_API_KEY":
            return None
        gateway = next((s for s in ev.sources if s.variable == "ANTHROPIC_BASE_URL"), None)
        known = report.role == "foreign"
        extra: list[str] = []
        severity: Severity | None = None
        confidence = CONFIDENCE["key-wrong-provider"] if known else 0.7
        if slot == "ANTHROPIC_AUTH_TOKEN" and gateway is not None:
            extra.append(
                f"ANTHROPIC_BASE_URL is set ({gateway.location}): a gateway may expect its own token in "
                "ANTHROPIC_AUTH_TOKEN, in which case this is intended"
            )
            severity, confidence = "info", 0.4
        title = (
            f"'{report.alias}' is {_a(report.kind_label)}, not an Anthropic key"
            if known
            else f"'{report.alias}' is not in any known key format"
        )
        fix = (
            f"Put an Anthropic API key (sk-ant-api03-…, from the Console's API keys page) in "
            f"{_where(ev, report)}; keep other providers' keys in their own variables (OPENAI_API_KEY, "
            "OPENROUTER_API_KEY...)." + _reload(ev, report)
        )
        return _finding(
            ev, report, "key-wrong-provider", title, fix, defects, extra=extra, severity=severity, confidence=confidence
        )

    return _each("key-wrong-provider", build)(evidence)


@rule(
    "key-admin",
    recognises="an Admin API key (`sk-ant-admin01-`, 110 characters) where an inference key belongs",
    fix="use an API key (`sk-ant-api03-`) for inference; keep the admin key in ANTHROPIC_ADMIN_API_KEY",
)
def admin_key(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding | None:
        slot = _slot(ev, report)
        if slot not in _INFERENCE_SLOTS:
            return None
        fix = (
            f"Replace the Admin key in {_where(ev, report)} with an API key (sk-ant-api03-…): Admin keys work "
            "only on the Admin API (/v1/organizations/…). Keep the Admin key in ANTHROPIC_ADMIN_API_KEY."
            + _reload(ev, report)
        )
        return _finding(
            ev, report, "key-admin", f"'{report.alias}' is an Admin API key, not an inference key", fix, defects
        )

    return _each("key-admin", build)(evidence)


@rule(
    "key-oauth-token",
    recognises="a Claude OAuth access or refresh token (`sk-ant-oat01-`, `sk-ant-ort01-`) used as an API key",
    fix="create an API key in the Console; OAuth tokens belong to Claude Code's login",
)
def oauth_token(evidence: Evidence) -> Iterable[Finding]:
    def build(ev: Evidence, report: KeyReport, defects: list[Defect]) -> Finding | None:
        if _kind(ev, report) == "profile" or _slot(ev, report) in ("CLAUDE_CODE_OAUTH_TOKEN", "claudeAiOauth"):
            return None  # an SDK profile and Claude Code's OAuth slots hold OAuth tokens by design
        refresh = report.kind == "anthropic-oauth-refresh"
        extra = [
            "in x-api-key the API answers 'invalid x-api-key'; as a Bearer token without the OAuth beta header "
            "it answers 'OAuth authentication is currently not supported.'"
        ]
        if refresh:
            extra.append("a refresh token is never sent to the API; it only mints access tokens")
        fix = (
            f"Replace the token in {_where(ev, report)} with an API key from the Console (sk-ant-api03-…). "
            "Tokens from Claude Code's login (`claude setup-token`, the keychain) are not API keys."
            + _reload(ev, report)
        )
        return _finding(
            ev,
            report,
            "key-oauth-token",
            f"'{report.alias}' is {_a(report.kind_label)}, not an API key",
            fix,
            defects,
            extra=extra,
        )

    return _each("key-oauth-token", build)(evidence)


def _a(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label


RULES: tuple[Rule, ...] = (
    blank_credential,
    placeholder,
    whitespace,
    quoted,
    invisible,
    non_ascii,
    bearer_prefix,
    truncated,
    extra_chars,
    wrong_provider,
    admin_key,
    oauth_token,
)
