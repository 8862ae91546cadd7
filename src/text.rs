//! Text from inputs (AWS names, catalogs, packs from strangers) on its way
//! to a terminal: control characters and bidirectional overrides could
//! repaint the screen or reorder what a person reads, so they are shown
//! escaped.

use std::borrow::Cow;

/// A control character or a bidirectional override or mark.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character and bidi override written as `\u{…}`
/// (and a backslash as `\\`, so the escaping cannot be forged).
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) || c == '\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::terminal;

    #[test]
    fn escapes_what_could_repaint_the_screen() {
        assert_eq!(terminal("report.md"), "report.md");
        assert_eq!(terminal("a\x1b[2K\rOK"), "a\\u{1b}[2K\\rOK");
        assert_eq!(terminal("x\u{202e}fdp.exe"), "x\\u{202e}fdp.exe");
        assert_eq!(terminal("a\\u{1b}"), "a\\\\u{1b}");
        assert_eq!(terminal("王小明 🙂"), "王小明 🙂");
    }
}
