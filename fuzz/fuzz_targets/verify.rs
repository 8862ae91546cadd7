//! Any bytes as a pack: `verify` answers Ok or Err, never panics, and its
//! cost stays bounded by the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGz0m1cP8cS4Aq1o7lxq3b1l0N0n3w7d0m2Ff6z9b1Xy fuzz";

fuzz_target!(|data: &[u8]| {
    let key = ssh_key::PublicKey::from_openssh(KEY).expect("a valid key");
    let limits = evidence_pack::seal::Limits { max_entries: 64, max_entry_bytes: 1 << 20, max_total_bytes: 4 << 20 };
    let _ = evidence_pack::seal::verify(std::io::Cursor::new(data), &key, limits, true);
});
