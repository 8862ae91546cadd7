//! Stage 4: seal the pack — a SHA-256 manifest of every file, an SSH
//! signature over the manifest, and a reproducible zip.
//!
//! An auditor checks a pack with standard tools alone:
//! `unzip`, `sha256sum -c SHA256SUMS`, and
//! `ssh-keygen -Y verify -n evidence-pack -f allowed_signers -I <id> -s SHA256SUMS.sig < SHA256SUMS`.

pub mod name;
mod verify;

use std::io::{Cursor, Write};
use std::path::Path;

use chrono::{DateTime, Datelike, Timelike, Utc};
use sha2::{Digest, Sha256};
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey};
use zip::result::ZipError;
use zip::write::SimpleFileOptions;

pub use verify::{Limits, Members, Verified, VerifyError, read_members, verify};

/// SSHSIG namespace: a signature made for a pack cannot be replayed as,
/// say, a git commit signature, and vice versa.
pub const NAMESPACE: &str = "evidence-pack";
pub use crate::pack::{MANIFEST, SIGNATURE};

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("cannot read signing key {path}: {reason}")]
    KeyRead { path: String, reason: String },
    #[error(
        "signing key {path} is a {algorithm} key; evidence-pack signs with Ed25519 (create one with `ssh-keygen -t ed25519 -f {path}`)"
    )]
    KeyAlgorithm { path: String, algorithm: String },
    #[error(
        "signing key {path} is encrypted; set EVIDENCE_PACK_KEY_PASSPHRASE to its passphrase, or use an unencrypted key kept in a secrets store"
    )]
    KeyEncrypted { path: String },
    #[error("cannot sign the manifest: {0}")]
    Sign(String),
    #[error("refusing to pack '{name}': {why}")]
    Name { name: String, why: &'static str },
    #[error("cannot build the zip: {0}")]
    Zip(#[from] ZipError),
}

/// One file of a pack, sealed as soon as it is made: its name, its
/// SHA-256, and its deflated zip entry. A large estate's files are several
/// times the size of its zip; a pack holds each one's compressed form, not
/// its bytes, until the zip is written.
///
/// Each is compressed from its whole bytes, never streamed in pieces:
/// deflate's output depends on how its input is split, and `verify
/// --reseal` rebuilds every entry from its whole bytes.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub sha256: String,
    /// A zip of this one entry, copied into the pack's zip as it is.
    entry: Vec<u8>,
}

impl Member {
    pub fn new(name: impl Into<String>, bytes: impl AsRef<[u8]>, time: DateTime<Utc>) -> Result<Member, SealError> {
        Member::stamped(name, bytes, stamp(time))
    }

    /// [`Member::new`] with the zip's own time, as `verify` reads it back.
    pub(crate) fn stamped(
        name: impl Into<String>,
        bytes: impl AsRef<[u8]>,
        stamp: zip::DateTime,
    ) -> Result<Member, SealError> {
        let (name, bytes) = (name.into(), bytes.as_ref());
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file(name.as_str(), entry_options(stamp))?;
        zip.write_all(bytes).map_err(ZipError::Io)?;
        let entry = zip.finish()?.into_inner();
        Ok(Member { sha256: sha256_hex(bytes), name, entry })
    }

    /// The member's bytes again, inflated from its entry.
    pub fn bytes(&self) -> Result<Vec<u8>, SealError> {
        let mut one = zip::ZipArchive::new(Cursor::new(self.entry.as_slice()))?;
        let mut file = one.by_index(0)?;
        let mut bytes = Vec::with_capacity(file.size() as usize);
        std::io::Read::read_to_end(&mut file, &mut bytes).map_err(ZipError::Io)?;
        Ok(bytes)
    }
}

pub struct Signer {
    key: PrivateKey,
}

impl Signer {
    pub fn from_file(path: &Path) -> Result<Signer, SealError> {
        let shown = path.display().to_string();
        let key = PrivateKey::read_openssh_file(path).map_err(|e| SealError::KeyRead {
            path: shown.clone(),
            reason: match e {
                ssh_key::Error::Io(kind) => format!("{kind:?}"),
                other => format!("{other} (expected an OpenSSH private key, as `ssh-keygen -t ed25519` writes)"),
            },
        })?;
        let key = if key.is_encrypted() {
            let pass = std::env::var("EVIDENCE_PACK_KEY_PASSPHRASE")
                .map_err(|_| SealError::KeyEncrypted { path: shown.clone() })?;
            key.decrypt(pass.as_bytes()).map_err(|e| SealError::KeyRead {
                path: shown.clone(),
                reason: format!("cannot decrypt with EVIDENCE_PACK_KEY_PASSPHRASE: {e}"),
            })?
        } else {
            key
        };
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(SealError::KeyAlgorithm { path: shown, algorithm: key.algorithm().to_string() });
        }
        Ok(Signer { key })
    }

    /// A new random key, for the demo.
    pub fn generate() -> Signer {
        let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
            .expect("Ed25519 key generation does not fail");
        Signer { key }
    }

    pub fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// The public key as one `ssh-ed25519 AAAA… comment` line.
    pub fn public_openssh(&self, comment: &str) -> String {
        let mut pk = self.key.public_key().clone();
        pk.set_comment(comment);
        pk.to_openssh().expect("public key encodes")
    }

    /// An armored SSHSIG signature. Ed25519 is deterministic, so the same
    /// key and message always give the same bytes.
    pub fn sign(&self, message: &[u8]) -> Result<String, SealError> {
        self.key
            .sign(NAMESPACE, HashAlg::Sha512, message)
            .and_then(|s| s.to_pem(LineEnding::LF))
            .map_err(|e| SealError::Sign(e.to_string()))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `sha256sum` format, sorted by name, two spaces (text mode) as
/// `sha256sum -c` expects.
pub fn manifest(members: &[Member]) -> String {
    let mut lines: Vec<(&str, &str)> = members.iter().map(|m| (m.name.as_str(), m.sha256.as_str())).collect();
    lines.sort();
    lines.into_iter().map(|(name, hash)| format!("{hash}  {name}\n")).collect()
}

/// The zip bytes of a sealed pack: the members, `SHA256SUMS` and its
/// signature. Entries are sorted, stamped with `time` (from the snapshot)
/// and given fixed permissions, so the same inputs give the same bytes.
pub fn seal(mut members: Vec<Member>, signer: &Signer, time: DateTime<Utc>) -> Result<Vec<u8>, SealError> {
    // Checked before signing: a name verify would refuse never gets into
    // a signed manifest.
    for m in &members {
        if let Some(why) = name::problem(&m.name) {
            return Err(SealError::Name { name: crate::text::terminal(&m.name).into_owned(), why });
        }
    }
    let sums = manifest(&members);
    let sig = signer.sign(sums.as_bytes())?;
    members.push(Member::new(MANIFEST, sums, time)?);
    members.push(Member::new(SIGNATURE, sig, time)?);
    assemble(members)
}

/// The zip's time for `time`: zip times have no zone and start in 1980, so
/// the snapshot's UTC time is clamped into that range.
fn stamp(time: DateTime<Utc>) -> zip::DateTime {
    zip::DateTime::from_date_and_time(
        time.year().clamp(1980, 2107) as u16,
        time.month() as u8,
        time.day() as u8,
        time.hour() as u8,
        time.minute() as u8,
        time.second() as u8,
    )
    .unwrap_or_default()
}

fn entry_options(stamp: zip::DateTime) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(stamp)
        .unix_permissions(0o644)
        .system(zip::System::Unix)
}

/// The zip of `members` exactly as `seal` lays it out; `verify --reseal`
/// rebuilds a pack with it to compare bytes.
pub(crate) fn assemble(mut members: Vec<Member>) -> Result<Vec<u8>, SealError> {
    members.sort_by(|a, b| a.name.cmp(&b.name));
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for m in &members {
        let mut one = zip::ZipArchive::new(Cursor::new(m.entry.as_slice()))?;
        zip.raw_copy_file(one.by_index_raw(0)?)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Members are compressed as they are made and copied into the zip
    /// later; the zip must still be the one writing every file straight
    /// into it gives (what packs were until 2026-11-23), or `verify
    /// --reseal` would refuse every older pack.
    #[test]
    fn a_zip_of_members_is_the_zip_of_its_files_written_directly() {
        let time = "2026-11-22T12:37:35Z".parse::<DateTime<Utc>>().unwrap();
        let files: Vec<(String, Vec<u8>)> = (0..5)
            .map(|i| (format!("evidence/kind-{i}.csv"), format!("row {i}\n").repeat(1 << (i * 3)).into_bytes()))
            .chain([("empty.txt".to_string(), Vec::new())])
            .collect();
        let mut direct = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let mut sorted = files.clone();
        sorted.sort();
        for (name, bytes) in &sorted {
            direct.start_file(name.as_str(), entry_options(stamp(time))).unwrap();
            direct.write_all(bytes).unwrap();
        }
        let direct = direct.finish().unwrap().into_inner();
        let members = files.iter().rev().map(|(n, b)| Member::new(n, b, time).unwrap()).collect();
        assert!(assemble(members).unwrap() == direct, "the zips differ");
        // Split differently, the same bytes deflate differently: which is
        // why a member is compressed whole.
        let big: Vec<u8> =
            (0..100_000u64).flat_map(|i| format!("{},{}\n", i * 7919 % 100_003, i % 13).into_bytes()).collect();
        let mut split = zip::ZipWriter::new(Cursor::new(Vec::new()));
        split.start_file("big", entry_options(stamp(time))).unwrap();
        big.chunks(1 << 16).for_each(|c| split.write_all(c).unwrap());
        let split = split.finish().unwrap().into_inner();
        assert!(split != Member::new("big", &big, time).unwrap().entry, "deflate no longer depends on the split");
    }
}
