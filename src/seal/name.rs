//! The one rule for a member name inside a pack, used by `pack` before it
//! writes and by `verify` before it reads: a name every extractor (unzip,
//! Python's zipfile, bsdtar, 7-Zip, Windows Explorer) turns into the same
//! regular file inside the folder it extracts to.

/// Longest member name accepted, in bytes.
pub const MAX_NAME: usize = 255;

/// Why `name` cannot be a pack member, or `None` when it can.
pub fn problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("the name is empty");
    }
    if name.len() > MAX_NAME {
        return Some("the name is longer than 255 bytes");
    }
    if name.chars().any(crate::text::is_unsafe) {
        return Some("the name contains a control character or a bidirectional override");
    }
    if name.contains('\\') {
        return Some("the name contains a backslash, which Windows tools read as a folder separator");
    }
    if name.starts_with('/') {
        return Some("the name is absolute");
    }
    if name.ends_with('/') {
        return Some("the name is a directory");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Some("the name starts with a drive letter");
    }
    if name.contains(':') {
        return Some("the name contains ':', which Windows reads as a drive or a stream");
    }
    for part in name.split('/') {
        if part.is_empty() {
            return Some("the name has an empty path component");
        }
        if part == "." || part == ".." {
            return Some("the name has a `.` or `..` component");
        }
        if part.ends_with('.') || part.ends_with(' ') {
            return Some("a path component ends with a dot or a space, which Windows drops");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn accepts_pack_names_and_refuses_tricks() {
        for ok in ["report.md", "attestations/SO1.Q1/diagram.png", "SHA256SUMS.sig", "attestations/SO1.Q1/王.txt"] {
            assert_eq!(problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a\\b",
            "dir/",
            "C:x",
            "a\nb",
            "a\u{202e}b",
            "a//b",
            "./a",
            "x:stream",
            "a./b",
        ] {
            assert!(problem(bad).is_some(), "{bad:?}");
        }
    }
}
