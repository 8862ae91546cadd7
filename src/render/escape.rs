//! Input text on its way into report.md (and from there report.html).
//!
//! Everything in a report that came from outside (AWS names, catalogs,
//! attestations, exceptions) is data, never Markdown: a resource called
//! `<img src=x onerror=…>` or `[x](javascript:…)` must reach the reader as
//! those characters. The template engine escapes every value with [`inline`]
//! unless a filter here has already turned it into Markdown that is safe.

use std::fmt::Write as _;

/// Characters that start Markdown syntax (CommonMark, GFM tables and
/// strikethrough, GitHub math) anywhere in a line.
fn is_syntax(c: char) -> bool {
    matches!(c, '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '#' | '$' | '^')
}

/// A character that could repaint or reorder what a person reads (control
/// characters, bidi overrides), written out as `\u{…}` instead.
fn push_visible(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// `s` as Markdown text that renders as exactly `s`, on one line: safe in
/// a paragraph, a heading, emphasis or a table cell. Line breaks become
/// spaces, so a value cannot start a new block or end a table row.
pub fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    push_inline(&mut out, s);
    out
}

fn push_inline(out: &mut String, s: &str) {
    let mut prev: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match c {
            '\r' if next == Some('\n') => {}
            '\n' | '\r' | '\t' => out.push(' '),
            // Backslash escapes are visible backslashes in Markdown, so the
            // visible form of an escape is itself escaped.
            c if crate::text::is_unsafe(c) => {
                out.push('\\');
                push_visible(out, c);
            }
            c if is_syntax(c) => {
                out.push('\\');
                out.push(c);
            }
            // `_` inside a word never opens or closes emphasis; escaping it
            // there would only clutter names like `SYMMETRIC_DEFAULT`.
            '_' if prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric) => out.push('_'),
            '_' => out.push_str("\\_"),
            c => out.push(c),
        }
        prev = Some(c);
    }
}

/// Prose from a catalog (descriptions, remediation, section text): escaped
/// like [`inline`], but paragraphs (blank-line separated) are kept, and a
/// `` `code` `` span, which catalogs use for commands, stays a code span.
pub fn prose(s: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in s.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(paragraph(&current));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(paragraph(&current));
    }
    paragraphs.join("\n\n")
}

fn paragraph(lines: &[&str]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let start = out.len();
        push_with_code_spans(&mut out, line);
        escape_line_start(&mut out, start);
    }
    out
}

/// A line that starts like a list item, a thematic break or a setext
/// underline would be read as one; escape its marker.
fn escape_line_start(out: &mut String, start: usize) {
    let line = &out[start..];
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let at = match line.as_bytes().first() {
        Some(b'-' | b'+' | b'=') => Some(start),
        Some(b'0'..=b'9') if digits <= 9 && matches!(line.as_bytes().get(digits), Some(b'.' | b')')) => {
            Some(start + digits)
        }
        _ => None,
    };
    if let Some(at) = at {
        out.insert(at, '\\');
    }
}

/// Escape `line`, turning matched runs of backticks into code spans.
fn push_with_code_spans(out: &mut String, line: &str) {
    let mut rest = line;
    while let Some(open) = rest.find('`') {
        let run = rest[open..].bytes().take_while(|&b| b == b'`').count();
        let fence = &rest[open..open + run];
        let after = &rest[open + run..];
        // The closing run must be exactly as long as the opening one.
        let close =
            after.match_indices(fence).find(|&(i, _)| !after[..i].ends_with('`') && !after[i + run..].starts_with('`'));
        match close {
            Some((i, _)) if i > 0 => {
                push_inline(out, &rest[..open]);
                out.push_str(&code(&after[..i]));
                rest = &after[i + run..];
            }
            _ => {
                push_inline(out, &rest[..open + run]);
                rest = after;
            }
        }
    }
    push_inline(out, rest);
}

/// `s` as a code span. A pipe cannot be written safely inside a code span
/// in a GFM table cell (the table splits on it before code spans are seen),
/// so text holding one is escaped as plain text instead.
pub fn code(s: &str) -> String {
    if s.is_empty() || s.contains('|') || s.chars().any(crate::text::is_unsafe) {
        return inline(s);
    }
    let longest = s.split(|c: char| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A space on each side is stripped again by the parser; it keeps a
    // backtick at either end from joining the fence.
    let pad = s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' '));
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Lines as a fenced code block whose fence no line can close.
pub fn code_block(lines: &[String], info: &str) -> String {
    let mut body = String::new();
    for line in lines {
        for c in line.chars() {
            match c {
                '\n' => body.push('\n'),
                '\r' | '\t' => body.push(' '),
                c if crate::text::is_unsafe(c) => push_visible(&mut body, c),
                c => body.push(c),
            }
        }
        body.push('\n');
    }
    let longest = body.split(|c: char| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{info}\n{body}{fence}")
}

/// Whether a link target may appear in a report: web pages and mail only,
/// never `javascript:`, `data:`, `file:` or anything a viewer would run.
pub fn is_safe_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        && url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || crate::text::is_unsafe(c))
}

/// A URL as a Markdown link destination, or `None` when it is not one the
/// report links to.
pub fn link_target(url: &str) -> Option<String> {
    if !is_safe_url(url) {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '(' | ')' | '<' | '>' | '\\' | '`' | '"' | '\'' | '|' | '[' | ']' => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_text_has_no_markdown() {
        assert_eq!(inline("plain name-1.2"), "plain name-1.2");
        assert_eq!(inline("SYMMETRIC_DEFAULT"), "SYMMETRIC_DEFAULT");
        assert_eq!(inline("_x_ *y*"), "\\_x\\_ \\*y\\*");
        assert_eq!(inline("<img src=x onerror=alert(1)>"), "\\<img src=x onerror=alert(1)\\>");
        assert_eq!(inline("[a](javascript:x)"), "\\[a\\](javascript:x)");
        assert_eq!(inline("a|b\nc"), "a\\|b c");
        assert_eq!(inline("&lt; \\"), "\\&lt; \\\\");
        assert_eq!(inline("x\u{1b}[2K\u{202e}"), "x\\\\u{1b}\\[2K\\\\u{202e}");
        assert_eq!(inline("王小明 🙂"), "王小明 🙂");
    }

    #[test]
    fn prose_keeps_paragraphs_and_code_spans() {
        assert_eq!(
            prose("Run `aws iam x`.\n\n- not a list\n1. nor this"),
            "Run `aws iam x`.\n\n\\- not a list\n1\\. nor this"
        );
        assert_eq!(prose("a ``b ` c`` d `e"), "a ``b ` c`` d \\`e");
        assert_eq!(prose("    indented\n==="), "indented\n\\===");
    }

    #[test]
    fn code_cannot_be_closed_early() {
        assert_eq!(code("ListUsers"), "`ListUsers`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "a\\|b");
        assert_eq!(code_block(&["a".into(), "```".into()], "sh"), "````sh\na\n```\n````");
    }

    #[test]
    fn only_web_and_mail_links() {
        assert_eq!(link_target("https://docs.aws.amazon.com/x#y").as_deref(), Some("https://docs.aws.amazon.com/x#y"));
        assert_eq!(link_target("HTTPS://a/(b)").as_deref(), Some("HTTPS://a/%28b%29"));
        for bad in ["javascript:alert(1)", "data:text/html,x", "file:///etc", " https://a", "https://a b", "//x"] {
            assert_eq!(link_target(bad), None, "{bad}");
        }
    }
}
