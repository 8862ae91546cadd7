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
    Zip(#[from] zip::result::ZipError),
}

/// One file of a pack, by its path inside the zip.
#[derive(Debug, Clone)]
pub struct PackFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl PackFile {
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        PackFile { name: name.into(), bytes: bytes.into() }
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
pub fn manifest(files: &[PackFile]) -> String {
    let mut lines: Vec<(String, String)> = files.iter().map(|f| (f.name.clone(), sha256_hex(&f.bytes))).collect();
    lines.sort();
    lines.into_iter().map(|(name, hash)| format!("{hash}  {name}\n")).collect()
}

/// The zip bytes of a sealed pack: the files, `SHA256SUMS` and its signature.
/// Entries are sorted, stamped with `time` (from the snapshot) and given
/// fixed permissions, so the same inputs give the same bytes.
pub fn seal(mut files: Vec<PackFile>, signer: &Signer, time: DateTime<Utc>) -> Result<Vec<u8>, SealError> {
    // Checked before signing: a name verify would refuse never gets into
    // a signed manifest.
    for f in &files {
        if let Some(why) = name::problem(&f.name) {
            return Err(SealError::Name { name: crate::text::terminal(&f.name).into_owned(), why });
        }
    }
    let sums = manifest(&files);
    let sig = signer.sign(sums.as_bytes())?;
    files.push(PackFile::new(MANIFEST, sums));
    files.push(PackFile::new(SIGNATURE, sig));
    // Zip times have no zone and start in 1980; the snapshot's UTC time is
    // clamped into that range.
    let stamp = zip::DateTime::from_date_and_time(
        time.year().clamp(1980, 2107) as u16,
        time.month() as u8,
        time.day() as u8,
        time.hour() as u8,
        time.minute() as u8,
        time.second() as u8,
    )
    .unwrap_or_default();
    assemble(files, stamp)
}

/// The zip of `files` exactly as `seal` lays it out; `verify --reseal`
/// rebuilds a pack with it to compare bytes.
pub(crate) fn assemble(mut files: Vec<PackFile>, stamp: zip::DateTime) -> Result<Vec<u8>, SealError> {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(stamp)
        .unix_permissions(0o644)
        .system(zip::System::Unix);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for f in &files {
        zip.start_file(f.name.as_str(), options)?;
        zip.write_all(&f.bytes).map_err(zip::result::ZipError::Io)?;
    }
    Ok(zip.finish()?.into_inner())
}
