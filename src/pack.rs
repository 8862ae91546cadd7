//! The layout of a pack: the names of its members and its id. `pack`
//! writes it and `verify` checks it, so both take the names from here.

use sha2::{Digest, Sha256};

pub const CONTROLS: &str = "controls.yaml";
pub const REPORT_HTML: &str = "report.html";
pub const REPORT_MD: &str = "report.md";
/// The report PDF; the pack id leaves its line out, as the PDF prints the id.
pub const REPORT_PDF: &str = "report.pdf";
pub const RESULTS: &str = "results.json";
pub const SNAPSHOT: &str = "snapshot.json";
pub const ATTESTATIONS: &str = "attestations.yaml";
pub const EXCEPTIONS: &str = "exceptions.yaml";
/// One row per failing or excepted resource, for ticket systems; not in
/// [`REQUIRED`], so packs made before it existed still verify.
pub const FINDINGS: &str = "findings.csv";
/// The results as an OSCAL v1.2.1 Assessment Results document, for GRC
/// tools; not in [`REQUIRED`], so packs made before it existed still verify.
pub const RESULTS_OSCAL: &str = "results.oscal.json";
/// Attestation evidence files live under this folder, one folder per control.
pub const ATTESTATION_EVIDENCE: &str = "attestations";
/// `sha256sum` format over every other member.
pub const MANIFEST: &str = "SHA256SUMS";
/// The SSH signature over [`MANIFEST`].
pub const SIGNATURE: &str = "SHA256SUMS.sig";

/// What every pack holds besides the manifest and its signature.
pub const REQUIRED: [&str; 6] = [CONTROLS, REPORT_HTML, REPORT_MD, REPORT_PDF, RESULTS, SNAPSHOT];

/// A pack's id: the SHA-256 of its manifest without the PDF's line (the
/// PDF prints the id, so it cannot be part of what the id covers).
pub fn id(manifest: &str) -> String {
    let pdf_line = format!("  {REPORT_PDF}");
    let without_pdf: String =
        manifest.split_inclusive('\n').filter(|l| !l.trim_end_matches('\n').ends_with(&pdf_line)).collect();
    hex::encode(Sha256::digest(without_pdf.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn id_leaves_out_only_the_pdf_line() {
        let a = "aa  report.md\nbb  results.json\n";
        let b = "aa  report.md\ncc  report.pdf\nbb  results.json\n";
        assert_eq!(super::id(a), super::id(b));
        assert_ne!(super::id(a), super::id("aa  report.md\n"));
    }
}
