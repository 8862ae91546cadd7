//! `evidence-pack verify`: the same checks an auditor makes by hand, in one
//! command, on a zip that may have been tampered with or crafted.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};

use ssh_key::{PublicKey, SshSig};

use super::{MANIFEST, NAMESPACE, SIGNATURE, sha256_hex};

/// Bounds that keep a crafted zip from exhausting memory or disk.
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

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VerifyError {
    #[error("not a readable zip file: {0}")]
    NotZip(String),
    #[error("refusing entry '{0}': its path is absolute or leaves the pack (`..`)")]
    UnsafePath(String),
    #[error("refusing entry '{name}': {size} bytes is over the limit of {limit}")]
    TooLarge { name: String, size: u64, limit: u64 },
    #[error("refusing pack: {0} entries is over the limit")]
    TooManyEntries(usize),
    #[error("refusing pack: entry '{0}' appears twice")]
    Duplicate(String),
    #[error("{MANIFEST} is missing from the pack")]
    NoManifest,
    #[error("{SIGNATURE} is missing from the pack")]
    NoSignature,
    #[error("{MANIFEST} line {line} is not `<sha256>  <file>`")]
    BadManifestLine { line: usize },
    #[error("'{0}' is listed in {MANIFEST} but missing from the pack")]
    Missing(String),
    #[error("'{0}' is in the pack but not listed in {MANIFEST}")]
    Extra(String),
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
    #[error("cannot read entry '{name}': {reason}")]
    Read { name: String, reason: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub pack_id: String,
    /// Files covered by the manifest, with their SHA-256.
    pub files: BTreeMap<String, String>,
    pub signer_fingerprint: String,
}

/// Check that every file matches `SHA256SUMS`, that no file is missing or
/// extra, and that `SHA256SUMS.sig` is a valid signature by `key`.
pub fn verify<R: Read + Seek>(zip: R, key: &PublicKey, limits: Limits) -> Result<Verified, VerifyError> {
    let mut archive = zip::ZipArchive::new(zip).map_err(|e| VerifyError::NotZip(e.to_string()))?;
    if archive.len() > limits.max_entries {
        return Err(VerifyError::TooManyEntries(archive.len()));
    }
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| VerifyError::NotZip(e.to_string()))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if entry.enclosed_name().is_none() || name.starts_with('/') || name.split(['/', '\\']).any(|p| p == "..") {
            return Err(VerifyError::UnsafePath(name));
        }
        if entry.is_dir() {
            continue;
        }
        // The declared size can lie; the read below is bounded as well.
        if entry.size() > limits.max_entry_bytes {
            return Err(VerifyError::TooLarge { name, size: entry.size(), limit: limits.max_entry_bytes });
        }
        let mut buf = Vec::new();
        (&mut entry)
            .take(limits.max_entry_bytes + 1)
            .read_to_end(&mut buf)
            .map_err(|e| VerifyError::Read { name: name.clone(), reason: e.to_string() })?;
        let size = buf.len() as u64;
        if size > limits.max_entry_bytes {
            return Err(VerifyError::TooLarge { name, size, limit: limits.max_entry_bytes });
        }
        total += size;
        if total > limits.max_total_bytes {
            return Err(VerifyError::TooLarge { name, size: total, limit: limits.max_total_bytes });
        }
        if contents.insert(name.clone(), buf).is_some() {
            return Err(VerifyError::Duplicate(name));
        }
    }

    let sums = contents.remove(MANIFEST).ok_or(VerifyError::NoManifest)?;
    let sig = contents.remove(SIGNATURE).ok_or(VerifyError::NoSignature)?;

    // The signature first: if it fails, nothing the manifest says counts.
    let sig = std::str::from_utf8(&sig)
        .map_err(|e| VerifyError::BadSignatureFormat(e.to_string()))
        .and_then(|s| SshSig::from_pem(s).map_err(|e| VerifyError::BadSignatureFormat(e.to_string())))?;
    if sig.public_key() != key.key_data() {
        return Err(VerifyError::WrongKey(key.fingerprint(Default::default()).to_string()));
    }
    if sig.namespace() != NAMESPACE {
        return Err(VerifyError::WrongNamespace(sig.namespace().to_string()));
    }
    key.verify(NAMESPACE, &sums, &sig).map_err(|_| VerifyError::BadSignature)?;

    let text = String::from_utf8_lossy(&sums);
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let (hash, name) = line
            .split_once("  ")
            .or_else(|| line.split_once(" *"))
            .filter(|(h, n)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) && !n.is_empty())
            .ok_or(VerifyError::BadManifestLine { line: i + 1 })?;
        listed.insert(name.to_string(), hash.to_ascii_lowercase());
    }
    let present: BTreeSet<&String> = contents.keys().collect();
    for name in listed.keys() {
        if !present.contains(name) {
            return Err(VerifyError::Missing(name.clone()));
        }
    }
    for (name, bytes) in &contents {
        match listed.get(name) {
            None => return Err(VerifyError::Extra(name.clone())),
            Some(h) if *h != sha256_hex(bytes) => return Err(VerifyError::HashMismatch(name.clone())),
            Some(_) => {}
        }
    }
    let without_pdf: String =
        text.lines().filter(|l| !l.ends_with(&format!("  {}", crate::PDF))).map(|l| format!("{l}\n")).collect();
    Ok(Verified {
        pack_id: super::pack_id(&without_pdf),
        files: listed,
        signer_fingerprint: key.fingerprint(Default::default()).to_string(),
    })
}
