//! Any text as a catalog: loading answers Ok or a located error, never a
//! panic, a stack overflow or a runaway allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = evidence_pack::evaluate::Catalog::parse("fuzz.yaml", text);
    }
});
