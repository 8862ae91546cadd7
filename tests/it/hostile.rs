//! Packs crafted byte by byte, as an attacker would, so that `verify`
//! and the common extractors might disagree about what is inside. Each
//! must fail `verify` (exit 5) with the problem named; a genuine pack must
//! list, in unzip and Python's zipfile, exactly the members verify checked.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{BIN, keypair, run};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/snapshot.json");

/// One zip entry as raw fields, enough to write any of the tricks below.
#[derive(Clone)]
struct Raw {
    made_by: u16,
    needed: u16,
    flags: u16,
    method: u16,
    time: u16,
    date: u16,
    crc: u32,
    compressed: u32,
    size: u32,
    name: Vec<u8>,
    extra: Vec<u8>,
    external: u32,
    data: Vec<u8>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// The entries of a well-formed zip, in central-directory order.
fn parse(zip: &[u8]) -> Vec<Raw> {
    let end = &zip[zip.len() - 22..];
    let (n, cd) = (u16_at(end, 10) as usize, u32_at(end, 16) as usize);
    let mut at = cd;
    let mut out = Vec::new();
    for _ in 0..n {
        let h = &zip[at..];
        let (nl, el, cl) = (u16_at(h, 28) as usize, u16_at(h, 30) as usize, u16_at(h, 32) as usize);
        let off = u32_at(h, 42) as usize;
        let local_extra = u16_at(&zip[off..], 28) as usize;
        let start = off + 30 + nl + local_extra;
        let compressed = u32_at(h, 20);
        out.push(Raw {
            made_by: u16_at(h, 4),
            needed: u16_at(h, 6),
            flags: u16_at(h, 8),
            method: u16_at(h, 10),
            time: u16_at(h, 12),
            date: u16_at(h, 14),
            crc: u32_at(h, 16),
            compressed,
            size: u32_at(h, 24),
            name: h[46..46 + nl].to_vec(),
            extra: h[46 + nl..46 + nl + el].to_vec(),
            external: u32_at(h, 38),
            data: zip[start..start + compressed as usize].to_vec(),
        });
        at += 46 + nl + el + cl;
    }
    out
}

fn local(e: &Raw) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(0x0403_4b50u32.to_le_bytes());
    for v in [e.needed, e.flags, e.method, e.time, e.date] {
        b.extend(v.to_le_bytes());
    }
    for v in [e.crc, e.compressed, e.size] {
        b.extend(v.to_le_bytes());
    }
    b.extend((e.name.len() as u16).to_le_bytes());
    b.extend((e.extra.len() as u16).to_le_bytes());
    b.extend(&e.name);
    b.extend(&e.extra);
    b.extend(&e.data);
    b
}

fn central(e: &Raw, offset: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(0x0201_4b50u32.to_le_bytes());
    for v in [e.made_by, e.needed, e.flags, e.method, e.time, e.date] {
        b.extend(v.to_le_bytes());
    }
    for v in [e.crc, e.compressed, e.size] {
        b.extend(v.to_le_bytes());
    }
    for v in [e.name.len() as u16, e.extra.len() as u16, 0, 0, 0] {
        b.extend(v.to_le_bytes());
    }
    b.extend(e.external.to_le_bytes());
    b.extend(offset.to_le_bytes());
    b.extend(&e.name);
    b.extend(&e.extra);
    b
}

fn end_record(entries: usize, cd_size: usize, cd_offset: usize, comment_len: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, entries as u16, entries as u16] {
        b.extend(v.to_le_bytes());
    }
    b.extend((cd_size as u32).to_le_bytes());
    b.extend((cd_offset as u32).to_le_bytes());
    b.extend(comment_len.to_le_bytes());
    b
}

/// Locals (after `front`, which the central directory does not count
/// unless `base` says so), then the central directory, then the end record.
fn write(front: &[u8], entries: &[Raw], base: usize) -> Vec<u8> {
    let mut out = front.to_vec();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push((out.len() - front.len() + base) as u32);
        out.extend(local(e));
    }
    let cd_offset = out.len() - front.len() + base;
    let cd: Vec<u8> = entries.iter().zip(&offsets).flat_map(|(e, o)| central(e, *o)).collect();
    out.extend(&cd);
    out.extend(end_record(entries.len(), cd.len(), cd_offset, 0));
    out
}

fn stored(name: &str, bytes: &[u8], like: &Raw) -> Raw {
    let mut crc = crc32fast::Hasher::new();
    crc.update(bytes);
    Raw {
        method: 0,
        crc: crc.finalize(),
        compressed: bytes.len() as u32,
        size: bytes.len() as u32,
        name: name.as_bytes().to_vec(),
        data: bytes.to_vec(),
        ..like.clone()
    }
}

fn genuine(dir: &Path) -> (PathBuf, PathBuf, Vec<u8>) {
    let (key, public) = keypair(dir);
    let zip = dir.join("pack.zip");
    let out = run(Command::new(BIN).args(["pack", EXAMPLE, "--key"]).arg(&key).arg("-o").arg(&zip));
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&zip).unwrap();
    (zip, public, bytes)
}

fn verify(dir: &Path, public: &Path, bytes: &[u8], extra: &[&str]) -> (Option<i32>, String) {
    let p = dir.join("candidate.zip");
    std::fs::write(&p, bytes).unwrap();
    let out = run(Command::new(BIN).arg("verify").arg(&p).arg("--public-key").arg(public).args(extra));
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn crafted_packs_fail_verify_with_the_problem_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, public, bytes) = genuine(dir.path());
    let entries = parse(&bytes);
    assert_eq!(write(&[], &entries, 0), bytes, "the raw writer reproduces a genuine pack byte for byte");
    let results = entries.iter().position(|e| e.name == b"results.json").unwrap();
    let forged = stored("results.json", b"{\"forged\": true}\n", &entries[results]);
    let with = |i: usize, e: Raw| {
        let mut v = entries.clone();
        v[i] = e;
        v
    };

    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();

    // Forged locals in front, the genuine pack, then a second central
    // directory whose end record claims a comment past the end of file.
    let forged_set = with(results, forged.clone());
    let mut two_ends = Vec::new();
    let mut offsets = Vec::new();
    for e in &forged_set {
        offsets.push(two_ends.len() as u32);
        two_ends.extend(local(e));
    }
    two_ends.extend(&bytes);
    let cd_offset = two_ends.len();
    let cd: Vec<u8> = forged_set.iter().zip(&offsets).flat_map(|(e, o)| central(e, *o)).collect();
    two_ends.extend(&cd);
    two_ends.extend(end_record(forged_set.len(), cd.len(), cd_offset, 0xffff));
    cases.push(("two end records", two_ends, "end-of-central-directory"));

    let mut dup = vec![forged.clone()];
    dup.extend(entries.clone());
    cases.push(("duplicate names", write(&[], &dup, 0), "appears twice"));

    let mut case_dup = entries.clone();
    case_dup.push(stored("Results.json", b"{}", &entries[results]));
    cases.push(("names differing only in case", write(&[], &case_dup, 0), "appears twice"));

    let mut backslash = entries.clone();
    backslash.push(stored("attestations\\evil.txt", b"x", &entries[results]));
    cases.push(("backslash name", write(&[], &backslash, 0), "backslash"));

    let mut directory = entries.clone();
    directory.push(Raw { external: (0o040755 << 16) | 0x10, ..stored("extra/", b"", &entries[results]) });
    cases.push(("directory entry", write(&[], &directory, 0), "directory"));

    let link = Raw { external: 0o120777 << 16, ..entries[results].clone() };
    cases.push(("symlink entry", write(&[], &with(results, link), 0), "symbolic link"));

    // A local entry only a streaming extractor sees, in front of the rest.
    let hidden = local(&forged);
    cases.push((
        "local entry missing from the central directory",
        write(&hidden, &entries, hidden.len()),
        "local header",
    ));

    let mut unicode_path = vec![0x75, 0x70];
    let new_name = b"report.md";
    unicode_path.extend(((1 + 4 + new_name.len()) as u16).to_le_bytes());
    unicode_path.push(1);
    unicode_path.extend(0u32.to_le_bytes());
    unicode_path.extend(new_name);
    let renamed = Raw { extra: unicode_path, ..entries[results].clone() };
    cases.push(("Unicode Path extra field", write(&[], &with(results, renamed), 0), "0x7075"));

    let junk = vec![b'J'; 100];
    cases.push(("leading junk, offsets shifted", write(&junk, &entries, junk.len()), "local header"));
    cases.push(("leading junk, offsets kept", [junk.clone(), bytes.clone()].concat(), "central directory"));
    cases.push(("trailing junk", [bytes.clone(), junk.clone()].concat(), "end-of-central-directory"));

    let short = Raw { size: entries[results].size - 10, ..entries[results].clone() };
    cases.push(("data longer than declared", write(&[], &with(results, short), 0), "longer than its declared size"));

    let mut comment = bytes.clone();
    let n = comment.len();
    comment[n - 2..].copy_from_slice(&3u16.to_le_bytes());
    comment.extend(b"abc");
    cases.push(("archive comment", comment, "end-of-central-directory"));

    let flagged = Raw { flags: entries[results].flags | 0x8, ..entries[results].clone() };
    cases.push(("data descriptor flag", write(&[], &with(results, flagged), 0), "flags"));

    for (what, bytes, named) in cases {
        let (code, msg) = verify(dir.path(), &public, &bytes, &[]);
        assert_eq!(code, Some(5), "{what}: {msg}");
        assert!(msg.contains(named), "{what}: the message does not say '{named}': {msg}");
        assert!(!msg.contains(": OK"), "{what}: {msg}");
    }
}

#[test]
fn reseal_catches_a_pack_rebuilt_by_another_tool() {
    let dir = tempfile::tempdir().unwrap();
    let (_, public, bytes) = genuine(dir.path());
    let (code, msg) = verify(dir.path(), &public, &bytes, &["--reseal"]);
    assert_eq!(code, Some(0), "{msg}");
    assert!(msg.contains("re-seals to the same bytes"), "{msg}");

    // Same contents, compressed at another level: well formed, every hash
    // right, so only the re-seal tells it from what evidence-pack wrote.
    let mut entries = parse(&bytes);
    let i = entries.iter().position(|e| e.name == b"report.md").unwrap();
    let mut plain = Vec::new();
    flate2::read::DeflateDecoder::new(&entries[i].data[..]).read_to_end(&mut plain).unwrap();
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(1));
    enc.write_all(&plain).unwrap();
    let data = enc.finish().unwrap();
    entries[i] = Raw { compressed: data.len() as u32, data, ..entries[i].clone() };
    let rebuilt = write(&[], &entries, 0);
    assert_ne!(rebuilt, bytes);
    let (code, msg) = verify(dir.path(), &public, &rebuilt, &[]);
    assert_eq!(code, Some(0), "well formed and every hash right: {msg}");
    let (code, msg) = verify(dir.path(), &public, &rebuilt, &["--reseal"]);
    assert_eq!(code, Some(5), "{msg}");
    assert!(msg.contains("re-seal"), "{msg}");
}

/// What verify accepted is what other tools list: no member more or less.
#[test]
fn extractors_list_exactly_what_verify_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (zip, public, _) = genuine(dir.path());
    let out = run(Command::new(BIN).arg("verify").arg(&zip).arg("--public-key").arg(&public));
    assert_eq!(out.status.code(), Some(0));
    let mut checked: Vec<String> = String::from_utf8(crate::harness::entry(&zip, "SHA256SUMS"))
        .unwrap()
        .lines()
        .map(|l| l.split_once("  ").unwrap().1.to_string())
        .chain(["SHA256SUMS".to_string(), "SHA256SUMS.sig".to_string()])
        .collect();
    checked.sort();
    let listed = |cmd: &mut Command| -> Option<Vec<String>> {
        let out = cmd.output().ok().filter(|o| o.status.success())?;
        let mut names: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
        names.sort();
        Some(names)
    };
    let mut tools = 0;
    if let Some(names) = listed(Command::new("unzip").arg("-Z1").arg(&zip)) {
        assert_eq!(names, checked, "unzip");
        tools += 1;
    }
    let py = "import sys, zipfile\nfor n in zipfile.ZipFile(sys.argv[1]).namelist(): print(n)";
    if let Some(names) = listed(Command::new("python3").arg("-c").arg(py).arg(&zip)) {
        assert_eq!(names, checked, "python zipfile");
        tools += 1;
    }
    assert!(tools > 0, "neither unzip nor python3 is installed");
}
