//! `evidence-pack verify`: the checks an auditor makes by hand, and those
//! no standard tool makes, on a zip that may have been crafted.
//!
//! Extractors disagree on malformed zips: which end record they trust,
//! which of two same-named entries they keep, whether a local entry the
//! central directory does not list exists, whether an extra field renames
//! an entry. A pack is accepted only when its bytes leave no room for any
//! such disagreement: one end record at the very end, no comment, the
//! entries tiling the file from its first byte to the central directory in
//! the order that directory lists them, every local header equal to its
//! central entry, no extra fields, regular files only, and names that mean
//! the same file to every extractor. What is read then is exactly what
//! unzip, Python's zipfile, bsdtar and 7-Zip read.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Read, Seek, SeekFrom};

use sha2::{Digest, Sha256};
use ssh_key::{PublicKey, SshSig};

use super::{MANIFEST, NAMESPACE, SIGNATURE, name};
use crate::pack::REQUIRED;
use crate::text::terminal;

/// Bounds that keep a crafted zip from exhausting memory, disk or time.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_entries: 10_000, max_entry_bytes: 1 << 30, max_total_bytes: 4 << 30 }
    }
}

/// `SHA256SUMS` of a pack of `max_entries` files is well under this.
const MAX_MANIFEST: u64 = 4 << 20;
const MAX_SIGNATURE: u64 = 64 << 10;

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum VerifyError {
    #[error("cannot read the pack: {0}")]
    Io(String),
    #[error("not a pack evidence-pack wrote: {0}")]
    Structure(String),
    #[error("refusing entry '{name}': {why}")]
    BadEntry { name: String, why: String },
    #[error("refusing entry '{name}': {size} bytes is over the limit of {limit}")]
    TooLarge { name: String, size: u64, limit: u64 },
    #[error("refusing pack: {0} entries is over the limit")]
    TooManyEntries(usize),
    #[error("refusing pack: entry '{0}' appears twice (or twice but for letter case)")]
    Duplicate(String),
    #[error("{MANIFEST} is missing from the pack")]
    NoManifest,
    #[error("{SIGNATURE} is missing from the pack")]
    NoSignature,
    #[error("{MANIFEST} line {line} is not `<sha256>  <file>` with a safe, sorted, unique file name")]
    BadManifestLine { line: usize },
    #[error("'{0}' is listed in {MANIFEST} but missing from the pack")]
    Missing(String),
    #[error("'{0}' is in the pack but not listed in {MANIFEST}")]
    Extra(String),
    #[error("'{0}' is required in every pack but {MANIFEST} does not list it")]
    NotListed(String),
    #[error("'{0}' does not match its SHA-256 in {MANIFEST}: it was changed after sealing")]
    HashMismatch(String),
    #[error("{SIGNATURE} is not a valid SSH signature: {0}")]
    BadSignatureFormat(String),
    #[error("{SIGNATURE} was made by a different key than the one given ({0})")]
    WrongKey(String),
    #[error("{SIGNATURE} is for namespace '{0}', not '{NAMESPACE}'")]
    WrongNamespace(String),
    #[error("{SIGNATURE} does not verify: {MANIFEST} was changed after signing")]
    BadSignature,
    #[error(
        "the pack's bytes differ from a re-seal of its own contents at byte {0}: it was rebuilt or altered by another tool"
    )]
    NotReproduced(u64),
}

fn bad(name: &str, why: impl Into<String>) -> VerifyError {
    VerifyError::BadEntry { name: terminal(name).into_owned(), why: why.into() }
}

fn shown(name: &str) -> String {
    terminal(name).into_owned()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub pack_id: String,
    /// Files covered by the manifest, with their SHA-256.
    pub files: BTreeMap<String, String>,
    pub signer_fingerprint: String,
}

/// One entry as the central directory and its local header agree it is.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    method: u16,
    crc32: u32,
    compressed: u64,
    size: u64,
    /// Where its compressed bytes start.
    data: u64,
    dos_time: u16,
    dos_date: u16,
}

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const END_LEN: u64 = 22;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;
/// General-purpose flag bit 11: the name is UTF-8. No other flag is used
/// by evidence-pack (bit 0 is encryption, bit 3 a trailing data descriptor
/// that streaming extractors and others read differently).
const FLAG_UTF8: u16 = 1 << 11;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn io(e: std::io::Error) -> VerifyError {
    VerifyError::Io(e.to_string())
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, len: usize) -> Result<Vec<u8>, VerifyError> {
    r.seek(SeekFrom::Start(at)).map_err(io)?;
    let mut buf = vec![0; len];
    r.read_exact(&mut buf)
        .map_err(|e| VerifyError::Structure(format!("a record at byte {at} runs past the end ({e})")))?;
    Ok(buf)
}

/// The entries of a strictly formed archive, in order, or why it is not one.
fn entries<R: Read + Seek>(r: &mut R, limits: Limits) -> Result<Vec<Entry>, VerifyError> {
    let structure = |s: &str| VerifyError::Structure(s.to_string());
    let len = r.seek(SeekFrom::End(0)).map_err(io)?;
    if len < END_LEN {
        return Err(structure("too short to be a zip file"));
    }
    let end = read_at(r, len - END_LEN, END_LEN as usize)?;
    if u32_at(&end, 0) != END_SIG || u16_at(&end, 20) != 0 {
        return Err(structure(
            "the file does not end with one end-of-central-directory record without a comment \
             (bytes after the archive, a comment, or a second end record)",
        ));
    }
    let (disk, cd_disk, on_disk, total) = (u16_at(&end, 4), u16_at(&end, 6), u16_at(&end, 8), u16_at(&end, 10));
    let (cd_size, cd_offset) = (u32_at(&end, 12) as u64, u32_at(&end, 16) as u64);
    if disk != 0 || cd_disk != 0 || on_disk != total {
        return Err(structure("the end record describes a multi-disk archive"));
    }
    if total as usize > limits.max_entries {
        return Err(VerifyError::TooManyEntries(total as usize));
    }
    if cd_offset.checked_add(cd_size) != Some(len - END_LEN) {
        return Err(structure(
            "the central directory does not end where the end record starts (bytes between them, or ZIP64 records)",
        ));
    }
    // Each central entry is at least 46 bytes and names are at most 255.
    if cd_size > total as u64 * (CENTRAL_LEN + name::MAX_NAME) as u64 {
        return Err(structure("the central directory is larger than its entries can be"));
    }
    let cd = read_at(r, cd_offset, cd_size as usize)?;

    let mut out: Vec<Entry> = Vec::with_capacity(total as usize);
    let mut seen = BTreeSet::new();
    let mut at = 0usize;
    // The next local header must start where the previous entry ended: the
    // first at byte 0, so nothing hides in front, between, or unlisted.
    let mut next_local = 0u64;
    let mut declared_total = 0u64;
    for _ in 0..total {
        if at + CENTRAL_LEN > cd.len() || u32_at(&cd, at) != CENTRAL_SIG {
            return Err(structure("the central directory holds fewer entries than the end record says"));
        }
        let h = &cd[at..];
        let made_by_host = h[5];
        let needed = u16_at(h, 6);
        let flags = u16_at(h, 8);
        let method = u16_at(h, 10);
        let (dos_time, dos_date) = (u16_at(h, 12), u16_at(h, 14));
        let crc32 = u32_at(h, 16);
        let (compressed, size) = (u32_at(h, 20) as u64, u32_at(h, 24) as u64);
        let (name_len, extra_len, comment_len) =
            (u16_at(h, 28) as usize, u16_at(h, 30) as usize, u16_at(h, 32) as usize);
        let disk_start = u16_at(h, 34);
        let external = u32_at(h, 38);
        let local_offset = u32_at(h, 42) as u64;
        let record = CENTRAL_LEN + name_len + extra_len + comment_len;
        if at + record > cd.len() {
            return Err(structure("a central directory entry runs past the directory"));
        }
        let raw_name = &h[CENTRAL_LEN..CENTRAL_LEN + name_len];
        let name = if flags & FLAG_UTF8 != 0 {
            std::str::from_utf8(raw_name)
                .map(str::to_string)
                .map_err(|_| bad(&String::from_utf8_lossy(raw_name), "its name is not UTF-8"))?
        } else if raw_name.is_ascii() {
            String::from_utf8_lossy(raw_name).into_owned()
        } else {
            // Without the UTF-8 flag, extractors read the name as CP437 or
            // the local code page: each would show a different name.
            return Err(bad(&String::from_utf8_lossy(raw_name), "its name is not ASCII and not marked UTF-8"));
        };
        if let Some(why) = name::problem(&name) {
            return Err(bad(&name, why));
        }
        if extra_len != 0 {
            let id = if extra_len >= 2 { u16_at(h, CENTRAL_LEN + name_len) } else { 0 };
            let what = match id {
                0x7075 => " (Info-ZIP Unicode Path, which renames the entry for some extractors)",
                0x0001 => " (ZIP64)",
                _ => "",
            };
            return Err(bad(&name, format!("it carries an extra field 0x{id:04x}{what}")));
        }
        if comment_len != 0 {
            return Err(bad(&name, "it carries a comment"));
        }
        if flags & !FLAG_UTF8 != 0 {
            return Err(bad(
                &name,
                format!("it uses general-purpose flags 0x{flags:04x} (encryption or a data descriptor)"),
            ));
        }
        if method != STORED && method != DEFLATED {
            return Err(bad(&name, format!("compression method {method} is neither stored nor deflate")));
        }
        if method == STORED && compressed != size {
            return Err(bad(&name, "a stored entry's compressed and uncompressed sizes differ"));
        }
        if disk_start != 0 {
            return Err(bad(&name, "it starts on another disk"));
        }
        // MS-DOS directory attribute, and the Unix file type when the
        // entry was made on Unix: anything but a regular file is refused.
        if external & 0x10 != 0 {
            return Err(bad(&name, "it is a directory"));
        }
        if made_by_host == 3 {
            match (external >> 16) & 0o170000 {
                0 | 0o100000 => {}
                0o120000 => return Err(bad(&name, "it is a symbolic link")),
                0o040000 => return Err(bad(&name, "it is a directory")),
                _ => return Err(bad(&name, "it is not a regular file")),
            }
        }
        if !seen.insert(name.to_lowercase()) {
            return Err(VerifyError::Duplicate(shown(&name)));
        }
        if size > limits.max_entry_bytes {
            return Err(VerifyError::TooLarge { name: shown(&name), size, limit: limits.max_entry_bytes });
        }
        declared_total += size;
        if declared_total > limits.max_total_bytes {
            return Err(VerifyError::TooLarge {
                name: shown(&name),
                size: declared_total,
                limit: limits.max_total_bytes,
            });
        }

        if local_offset != next_local {
            return Err(bad(
                &name,
                format!(
                    "its local header is at byte {local_offset}, not {next_local}: the archive has bytes in front, \
                     between entries, or entries the central directory does not list"
                ),
            ));
        }
        let local = read_at(r, local_offset, LOCAL_LEN + name_len)?;
        let same = u32_at(&local, 0) == LOCAL_SIG
            && u16_at(&local, 4) == needed
            && u16_at(&local, 6) == flags
            && u16_at(&local, 8) == method
            && u16_at(&local, 10) == dos_time
            && u16_at(&local, 12) == dos_date
            && u32_at(&local, 14) == crc32
            && u32_at(&local, 18) as u64 == compressed
            && u32_at(&local, 22) as u64 == size
            && u16_at(&local, 26) as usize == name_len
            && u16_at(&local, 28) == 0
            && &local[LOCAL_LEN..] == raw_name;
        if !same {
            return Err(bad(&name, "its local header differs from its central directory entry"));
        }
        let data = local_offset + (LOCAL_LEN + name_len) as u64;
        next_local = data + compressed;
        if next_local > cd_offset {
            return Err(bad(&name, "its data runs into the central directory"));
        }
        out.push(Entry { name, method, crc32, compressed, size, data, dos_time, dos_date });
        at += record;
    }
    if at != cd.len() {
        return Err(structure("the central directory holds more than the end record says"));
    }
    if next_local != cd_offset {
        return Err(structure("there are bytes between the last entry and the central directory"));
    }
    Ok(out)
}

/// Stream one entry's uncompressed bytes into `sink`, checking that the
/// compressed data ends exactly where declared, and that the size and
/// CRC-32 are the declared ones.
fn stream<R: Read + Seek>(r: &mut R, e: &Entry, mut sink: impl FnMut(&[u8])) -> Result<(), VerifyError> {
    r.seek(SeekFrom::Start(e.data)).map_err(io)?;
    let raw = BufReader::new(r.by_ref().take(e.compressed));
    let mut crc = crc32fast::Hasher::new();
    let mut produced = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    let mut feed = |reader: &mut dyn Read| -> Result<(), VerifyError> {
        loop {
            // At most one byte past the declared size is ever produced.
            let want = ((e.size + 1 - produced) as usize).min(buf.len());
            let n =
                reader.read(&mut buf[..want]).map_err(|err| bad(&e.name, format!("its data cannot be read: {err}")))?;
            if n == 0 {
                return Ok(());
            }
            produced += n as u64;
            if produced > e.size {
                return Err(bad(&e.name, "its data is longer than its declared size"));
            }
            crc.update(&buf[..n]);
            sink(&buf[..n]);
        }
    };
    if e.method == STORED {
        let mut raw = raw;
        feed(&mut raw)?;
    } else {
        let mut inflate = flate2::bufread::DeflateDecoder::new(raw);
        feed(&mut inflate)?;
        if inflate.total_in() != e.compressed {
            return Err(bad(&e.name, "its compressed stream ends before its declared compressed size"));
        }
    }
    if produced != e.size {
        return Err(bad(&e.name, "its data is shorter than its declared size"));
    }
    if crc.finalize() != e.crc32 {
        return Err(bad(&e.name, "its CRC-32 does not match its data"));
    }
    Ok(())
}

fn read_entry<R: Read + Seek>(r: &mut R, e: &Entry, limit: u64) -> Result<Vec<u8>, VerifyError> {
    if e.size > limit {
        return Err(VerifyError::TooLarge { name: shown(&e.name), size: e.size, limit });
    }
    let mut out = Vec::with_capacity(e.size as usize);
    stream(r, e, |chunk| out.extend_from_slice(chunk))?;
    Ok(out)
}

/// The manifest's lines as `(name, sha256)`, in order, or the first bad line.
fn parse_manifest(text: &str) -> Result<Vec<(String, String)>, VerifyError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bad_line = VerifyError::BadManifestLine { line: i + 1 };
        let line = line.strip_suffix('\n').ok_or(bad_line.clone())?;
        let (hash, file) = line.split_once("  ").ok_or(bad_line.clone())?;
        let hex_ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let sorted = out.last().is_none_or(|(prev, _)| prev.as_str() < file);
        if !hex_ok || name::problem(file).is_some() || !sorted || file == MANIFEST || file == SIGNATURE {
            return Err(bad_line);
        }
        out.push((file.to_string(), hash.to_string()));
    }
    Ok(out)
}

/// Check a pack: its structure first, then the signature over
/// `SHA256SUMS`, then every file against it, streaming, stopping at the
/// first mismatch. With `reseal`, the pack must also be byte-identical to
/// a re-seal of its own contents.
pub fn verify<R: Read + Seek>(
    mut zip: R,
    key: &PublicKey,
    limits: Limits,
    reseal: bool,
) -> Result<Verified, VerifyError> {
    let list = entries(&mut zip, limits)?;
    let by_name: BTreeMap<&str, &Entry> = list.iter().map(|e| (e.name.as_str(), e)).collect();

    let sums = by_name.get(MANIFEST).ok_or(VerifyError::NoManifest)?;
    let sums = read_entry(&mut zip, sums, MAX_MANIFEST)?;
    let sig = by_name.get(SIGNATURE).ok_or(VerifyError::NoSignature)?;
    let sig = read_entry(&mut zip, sig, MAX_SIGNATURE)?;

    // The signature first: if it fails, nothing the manifest says counts,
    // and nothing else in the pack is decompressed.
    let sig = std::str::from_utf8(&sig)
        .map_err(|e| VerifyError::BadSignatureFormat(e.to_string()))
        .and_then(|s| SshSig::from_pem(s).map_err(|e| VerifyError::BadSignatureFormat(e.to_string())))?;
    if sig.public_key() != key.key_data() {
        return Err(VerifyError::WrongKey(key.fingerprint(Default::default()).to_string()));
    }
    if sig.namespace() != NAMESPACE {
        return Err(VerifyError::WrongNamespace(shown(sig.namespace())));
    }
    key.verify(NAMESPACE, &sums, &sig).map_err(|_| VerifyError::BadSignature)?;

    let text = std::str::from_utf8(&sums).map_err(|_| VerifyError::BadManifestLine { line: 1 })?;
    let listed = parse_manifest(text)?;
    let listed_names: BTreeSet<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    for required in REQUIRED {
        if !listed_names.contains(required) {
            return Err(VerifyError::NotListed(required.to_string()));
        }
    }
    for (name, _) in &listed {
        if !by_name.contains_key(name.as_str()) {
            return Err(VerifyError::Missing(shown(name)));
        }
    }
    for e in &list {
        if !listed_names.contains(e.name.as_str()) && e.name != MANIFEST && e.name != SIGNATURE {
            return Err(VerifyError::Extra(shown(&e.name)));
        }
    }
    for (name, hash) in &listed {
        let mut h = Sha256::new();
        stream(&mut zip, by_name[name.as_str()], |chunk| h.update(chunk))?;
        if hex::encode(h.finalize()) != *hash {
            return Err(VerifyError::HashMismatch(shown(name)));
        }
    }
    if reseal {
        resealed_matches(&mut zip, &list)?;
    }

    Ok(Verified {
        pack_id: crate::pack::id(text),
        files: listed.into_iter().collect(),
        signer_fingerprint: key.fingerprint(Default::default()).to_string(),
    })
}

/// Members of a pack read through the same strict reader `verify` uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Members {
    /// Each member asked for that the pack holds, by name.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The pack id, from its `SHA256SUMS` (as `verify` computes it).
    pub pack_id: String,
    /// The time every entry is stamped with: the snapshot's collection
    /// time, to the two seconds a zip records.
    pub stamp: Option<chrono::NaiveDateTime>,
}

/// Read the members `wanted` names (those present, each at most its size
/// in bytes) and the pack id from a pack, after the same structure checks
/// as `verify` (one end record, entries tiling the file, no extra fields,
/// safe names, sizes and CRC-32 as declared) but without the signature:
/// callers that need it verify first, and then hold each member to the
/// verified hashes.
pub fn read_members<R: Read + Seek>(
    mut zip: R,
    limits: Limits,
    wanted: &[(&str, u64)],
) -> Result<Members, VerifyError> {
    let list = entries(&mut zip, limits)?;
    let by_name: BTreeMap<&str, &Entry> = list.iter().map(|e| (e.name.as_str(), e)).collect();
    let sums = by_name.get(MANIFEST).ok_or(VerifyError::NoManifest)?;
    let sums = read_entry(&mut zip, sums, MAX_MANIFEST)?;
    let text = std::str::from_utf8(&sums).map_err(|_| VerifyError::BadManifestLine { line: 1 })?;
    parse_manifest(text)?;
    let mut files = BTreeMap::new();
    for (name, limit) in wanted {
        if let Some(e) = by_name.get(name) {
            files.insert(name.to_string(), read_entry(&mut zip, e, *limit)?);
        }
    }
    let stamp = list.first().and_then(|e| zip::DateTime::try_from_msdos(e.dos_date, e.dos_time).ok()).and_then(|t| {
        chrono::NaiveDate::from_ymd_opt(t.year().into(), t.month().into(), t.day().into())
            .and_then(|d| d.and_hms_opt(t.hour().into(), t.minute().into(), t.second().into()))
    });
    Ok(Members { files, pack_id: crate::pack::id(text), stamp })
}

/// Packs are reproducible: sealing the same files with the same stamp
/// gives the same bytes, so any byte this comparison finds different was
/// put there by something other than evidence-pack.
fn resealed_matches<R: Read + Seek>(zip: &mut R, list: &[Entry]) -> Result<(), VerifyError> {
    let first = list.first().ok_or_else(|| VerifyError::Structure("the pack is empty".into()))?;
    if list.iter().any(|e| (e.dos_date, e.dos_time) != (first.dos_date, first.dos_time)) {
        return Err(VerifyError::Structure(
            "its entries carry different times, which evidence-pack never writes".into(),
        ));
    }
    let stamp = zip::DateTime::try_from_msdos(first.dos_date, first.dos_time)
        .map_err(|_| VerifyError::Structure("its entries carry an invalid time".into()))?;
    let structure = |e: super::SealError| VerifyError::Structure(e.to_string());
    let mut members = Vec::with_capacity(list.len());
    for e in list {
        members.push(super::Member::stamped(e.name.clone(), read_entry(zip, e, u64::MAX)?, stamp).map_err(structure)?);
    }
    let again = super::assemble(members).map_err(structure)?;
    let len = zip.seek(SeekFrom::End(0)).map_err(io)?;
    zip.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut original = Vec::with_capacity(len as usize);
    zip.read_to_end(&mut original).map_err(io)?;
    match original.iter().zip(&again).position(|(a, b)| a != b) {
        Some(at) => Err(VerifyError::NotReproduced(at as u64)),
        None if original.len() != again.len() => {
            Err(VerifyError::NotReproduced(original.len().min(again.len()) as u64))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::{Member, Signer, assemble};

    #[test]
    fn manifest_lines_are_strict() {
        let h = "a".repeat(64);
        assert!(parse_manifest(&format!("{h}  a.md\n{h}  b.md\n")).is_ok());
        for bad in [
            format!("{h}  b.md\n{h}  a.md\n"),
            format!("{h}  a.md\n{h}  a.md\n"),
            format!("{h} *a.md\n"),
            format!("{h}  a.md"),
            format!("{h}  ../a.md\n"),
            format!("{}  a.md\n", "A".repeat(64)),
            format!("{h}  a\rb\n"),
            format!("{h}  SHA256SUMS\n"),
        ] {
            assert!(parse_manifest(&bad).is_err(), "{bad:?}");
        }
    }

    /// A zip laid out as `seal` lays one out, holding `SHA256SUMS`, its
    /// signature and `files` as given: no manifest or signature that
    /// agrees with them, since the limits apply before either is checked.
    fn zip_of(sums: Vec<u8>, sig: Vec<u8>, files: &[&str]) -> Vec<u8> {
        let at = zip::DateTime::default();
        let mut all = vec![Member::stamped(MANIFEST, sums, at).unwrap(), Member::stamped(SIGNATURE, sig, at).unwrap()];
        all.extend(files.iter().map(|n| Member::stamped(*n, "x", at).unwrap()));
        assemble(all).unwrap()
    }

    fn check(zip: &[u8]) -> Result<Verified, VerifyError> {
        let signer = Signer::generate();
        let key = PublicKey::from_openssh(&signer.public_openssh("t")).unwrap();
        verify(std::io::Cursor::new(zip), &key, Limits::default(), false)
    }

    /// `SHA256SUMS` is read whole into memory before anything is checked,
    /// so its size is capped: 4 MiB is read (and then fails on the junk
    /// signature), one byte more is refused unread.
    #[test]
    fn the_manifest_is_read_up_to_4_mib_and_no_further() {
        let sig = b"not a signature".to_vec();
        assert!(matches!(
            check(&zip_of(vec![b'a'; 4 << 20], sig.clone(), &[])),
            Err(VerifyError::BadSignatureFormat(_))
        ));
        assert_eq!(
            check(&zip_of(vec![b'a'; (4 << 20) + 1], sig, &[])),
            Err(VerifyError::TooLarge { name: MANIFEST.into(), size: (4 << 20) + 1, limit: 4 << 20 })
        );
    }

    #[test]
    fn the_signature_is_read_up_to_64_kib_and_no_further() {
        let sums = b"sums".to_vec();
        assert!(matches!(
            check(&zip_of(sums.clone(), vec![b'a'; 64 << 10], &[])),
            Err(VerifyError::BadSignatureFormat(_))
        ));
        assert_eq!(
            check(&zip_of(sums, vec![b'a'; (64 << 10) + 1], &[])),
            Err(VerifyError::TooLarge { name: SIGNATURE.into(), size: (64 << 10) + 1, limit: 64 << 10 })
        );
    }

    /// 255 bytes is the longest name every extractor and file system
    /// takes: such an entry gets past the structure checks, a longer one
    /// is refused by name.
    #[test]
    fn entry_names_may_be_255_bytes_long_and_no_longer() {
        let longest = "a".repeat(255);
        let err = check(&zip_of(b"sums".to_vec(), b"sig".to_vec(), &[&longest]));
        assert!(matches!(err, Err(VerifyError::BadSignatureFormat(_))), "{err:?}");
        let long = "a".repeat(256);
        assert_eq!(
            check(&zip_of(b"sums".to_vec(), b"sig".to_vec(), &[&long])),
            Err(VerifyError::BadEntry { name: long, why: "the name is longer than 255 bytes".into() })
        );
    }
}

#[cfg(test)]
mod mutations {
    //! A bounded, deterministic stand-in for the cargo-fuzz target, run
    //! with every `cargo test`: thousands of damaged packs, none may panic,
    //! and none but the original may verify.
    use super::*;
    use crate::seal::{Member, Signer, seal};

    #[test]
    fn damaged_packs_never_panic_and_never_verify() {
        let signer = Signer::generate();
        let key = PublicKey::from_openssh(&signer.public_openssh("t")).unwrap();
        let at = chrono::DateTime::UNIX_EPOCH;
        let files: Vec<Member> =
            REQUIRED.iter().map(|n| Member::new(*n, format!("{n} body {}\n", "x".repeat(40)), at).unwrap()).collect();
        let good = seal(files, &signer, at).unwrap();
        let limits = Limits { max_entries: 64, max_entry_bytes: 1 << 20, max_total_bytes: 4 << 20 };
        assert!(verify(std::io::Cursor::new(&good), &key, limits, true).is_ok());

        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        for round in 0..4000 {
            let mut bad = good.clone();
            match round % 4 {
                0 => {
                    let i = next(bad.len());
                    bad[i] ^= 1 << next(8);
                }
                1 => bad.truncate(next(bad.len())),
                2 => {
                    let (i, n) = (next(bad.len()), next(64) + 1);
                    let chunk: Vec<u8> = bad[i..(i + n).min(bad.len())].to_vec();
                    let at = next(bad.len());
                    bad.splice(at..at, chunk);
                }
                _ => {
                    let i = next(bad.len() - 4);
                    bad[i..i + 4].copy_from_slice(&(next(u32::MAX as usize) as u32).to_le_bytes());
                }
            }
            if bad == good {
                continue;
            }
            assert!(
                // With the re-seal: a flipped padding bit after a deflate
                // stream's last block changes no content, only bytes.
                verify(std::io::Cursor::new(&bad), &key, limits, true).is_err(),
                "round {round}: a damaged pack verified"
            );
        }
    }
}
