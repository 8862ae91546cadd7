//! The `evidence-pack` command line: parses arguments and calls the stages.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use evidence_pack::evaluate::{Attestations, Catalog, Exceptions, Inputs, Results};
use evidence_pack::seal::{self, Signer};
use evidence_pack::snapshot::Snapshot;
use evidence_pack::snapshot::write::{SnapshotWriter, Written, write_snapshot};
use evidence_pack::text::terminal;
use evidence_pack::{collect, diff, evaluate};

/// How a command ends. The `--help` text and the README's table are made
/// from (or checked against) this one list, so they cannot drift apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Ok = 0,
    Tool = 1,
    /// clap reports a wrong command line itself; `main` gives its errors this
    /// code, and a test checks it is the one clap would have used.
    Usage = 2,
    Failed = 3,
    Missing = 4,
    Unverified = 5,
}

impl Exit {
    const ALL: [Exit; 6] = [Exit::Ok, Exit::Tool, Exit::Usage, Exit::Failed, Exit::Missing, Exit::Unverified];

    fn code(self) -> u8 {
        self as u8
    }

    fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "success: every control passed, or was manual or not applicable",
            Exit::Tool => "evidence-pack could not do its job (bad input, unreadable key, I/O)",
            Exit::Usage => "the command line is wrong",
            Exit::Failed => {
                "one or more controls failed (the pack is still written); `diff --fail-on-regression`: a new failure or a newly failing control"
            }
            Exit::Missing => {
                "no control failed, but evidence for one or more could not be collected (status `error`; the pack is still written)"
            }
            Exit::Unverified => "`verify`, or `diff --public-key`: a pack does not verify",
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// The `after_help` of the commands that end in more than success or error.
fn exit_codes_help() -> String {
    // Wrapped by hand: clap leaves after_help as it is, and 72 columns read
    // well in any terminal.
    const WIDTH: usize = 72;
    let mut out = String::from("Exit codes:");
    for e in Exit::ALL {
        let mut line = format!("  {}  ", e.code());
        let indent = line.len();
        for (i, word) in e.meaning().split(' ').enumerate() {
            if i > 0 && line.len() + 1 + word.len() > WIDTH {
                out.push('\n');
                out.push_str(&line);
                line = " ".repeat(indent);
            } else if i > 0 {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push('\n');
        out.push_str(&line);
    }
    out
}

#[derive(Parser)]
#[command(name = "evidence-pack", version, about = "Turn an AWS account's security posture into a signed, hashed, zipped audit evidence pack.", after_help = exit_codes_help())]
struct Cli {
    /// No progress bar or summary on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct CollectArgs {
    /// Regions to read, comma-separated (default: every enabled region).
    #[arg(long, value_delimiter = ',')]
    regions: Option<Vec<String>>,
    /// AWS profile to use (default: the standard credential chain).
    #[arg(long, env = "AWS_PROFILE")]
    profile: Option<String>,
    /// API requests in flight at once, for the whole process.
    #[arg(long, value_name = "N", default_value_t = collect::Limits::default().max_concurrency as u64, value_parser = clap::value_parser!(u64).range(1..=65535))]
    max_concurrency: u64,
    /// Seconds one API request may wait for its answer, or for the rest of
    /// an answer that stopped arriving, before it is recorded as timed out.
    #[arg(long, value_name = "SECS", env = "EVIDENCE_PACK_TIMEOUT", default_value_t = collect::Limits::default().timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    #[command(flatten)]
    org: OrgArgs,
}

/// A whole AWS Organization, from the management account or a delegated
/// administrator.
#[derive(clap::Args)]
struct OrgArgs {
    /// Read every ACTIVE account of the organisation: the calling account
    /// with its own credentials, each other through `--role-name`.
    #[arg(long)]
    org: bool,
    /// The role assumed in each member account.
    #[arg(long, requires = "org", default_value = collect::DEFAULT_ROLE_NAME)]
    role_name: String,
    /// External id the member roles require, if any.
    #[arg(long, requires = "org")]
    external_id: Option<String>,
    /// Only these accounts, comma-separated.
    #[arg(long, requires = "org", value_delimiter = ',', value_parser = account_id)]
    accounts: Option<Vec<String>>,
    /// Leave these accounts out, comma-separated.
    #[arg(long, requires = "org", value_delimiter = ',', value_parser = account_id)]
    exclude_accounts: Vec<String>,
    /// Only the accounts under this organisational unit, at any depth.
    #[arg(long, requires = "org", value_name = "OU_ID")]
    ou: Option<String>,
    /// Keep only the I-th of N deterministic, balanced parts of the account
    /// list (1-based, such as 2/8); `pack` merges the shards' snapshots.
    #[arg(long, requires = "org", value_name = "I/N")]
    shard: Option<collect::Shard>,
}

/// An AWS account id: twelve digits.
fn account_id(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err("an AWS account id is twelve digits, such as 111111111111".into())
    }
}

#[derive(clap::Args)]
struct PackArgs {
    /// OpenSSH Ed25519 private key that signs the manifest.
    #[arg(long, env = "EVIDENCE_PACK_KEY")]
    key: PathBuf,
    /// Control catalog (default: the catalog built into this binary).
    #[arg(long)]
    controls: Option<PathBuf>,
    #[command(flatten)]
    inputs: InputArgs,
    /// List the exceptions that expire within this many days of the
    /// snapshot's time, on stderr and in the report's summary.
    #[arg(long, value_name = "DAYS", default_value_t = evaluate::attest::DEFAULT_WARN_DAYS)]
    warn_expiring: u32,
    /// An earlier pack (last quarter's): the report opens with what changed
    /// since it, and results.json records its id and SHA-256.
    #[arg(long, value_name = "OLD.zip")]
    baseline: Option<PathBuf>,
    /// The key that signed the baseline (default: the public half of --key).
    #[arg(long, value_name = "KEY.pub", requires = "baseline")]
    baseline_public_key: Option<PathBuf>,
}

#[derive(clap::Args)]
struct InputArgs {
    /// Answers to manual controls (attestations.yaml); packed with the report.
    #[arg(long)]
    attestations: Option<PathBuf>,
    /// Accepted risks (exceptions.yaml); packed with the report.
    #[arg(long)]
    exceptions: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Read the account (read-only) into a snapshot.
    Collect {
        #[command(flatten)]
        aws: CollectArgs,
        /// Where to write the snapshot JSON.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Evaluate snapshots, render the report and seal the pack.
    #[command(after_help = exit_codes_help())]
    Pack {
        /// Snapshot files; several (one per account) are merged into one pack.
        #[arg(required = true)]
        snapshots: Vec<PathBuf>,
        #[command(flatten)]
        pack: PackArgs,
        /// Where to write the pack (zip).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Collect and pack in one go.
    #[command(after_help = exit_codes_help())]
    Run {
        #[command(flatten)]
        aws: CollectArgs,
        #[command(flatten)]
        pack: PackArgs,
        /// Where to write the pack (zip).
        #[arg(short, long)]
        output: PathBuf,
        /// Also write the snapshot here.
        #[arg(long)]
        snapshot: Option<PathBuf>,
    },
    /// Evaluate a snapshot and print each control's status, without packing.
    #[command(after_help = exit_codes_help())]
    Evaluate {
        snapshots: Vec<PathBuf>,
        #[arg(long)]
        controls: Option<PathBuf>,
        #[command(flatten)]
        inputs: InputArgs,
        /// Print results.json instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check a pack: its zip structure, the signature, every hash, and no
    /// missing or extra file. Stricter than `sha256sum -c`: see the README.
    #[command(after_help = exit_codes_help())]
    Verify {
        pack: PathBuf,
        /// The signer's OpenSSH public key (`.pub`).
        #[arg(long)]
        public_key: PathBuf,
        /// Also re-seal the pack from its own contents and require the same
        /// bytes: packs are reproducible, so this leaves no byte unchecked.
        #[arg(long)]
        reseal: bool,
    },
    /// What changed between two packs: per control, new failures, fixed and
    /// still failing by finding id; exceptions, attestations, catalog,
    /// collection errors, accounts and regions.
    #[command(after_help = exit_codes_help())]
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// Verify both packs with the signer's OpenSSH public key first.
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// Print the documented JSON structure instead of Markdown.
        #[arg(long)]
        json: bool,
        /// Exit 3 when there is a new failure or a newly failing control.
        #[arg(long)]
        fail_on_regression: bool,
    },
    /// Export the catalog's manual questions as a Well-Architected custom lens.
    Lens {
        #[arg(long)]
        controls: Option<PathBuf>,
        /// Where to write the lens JSON.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Pack the bundled example account, signed with a throwaway key. Needs
    /// no AWS account and no network.
    Demo {
        /// Where to write the pack; the public key goes beside it as `.pub`.
        #[arg(short, long, default_value = "demo.zip")]
        output: PathBuf,
    },
}

/// The command line, with a `--version` that traces a pack back to its
/// binary: version, commit and built-in catalog.
fn command() -> clap::Command {
    let tool = evidence_pack::tool().to_string();
    Cli::command().version(tool.strip_prefix("evidence-pack ").unwrap_or(&tool).to_string())
}

fn main() -> ExitCode {
    let matches = command().try_get_matches();
    let cli = match matches.and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => {
            // What `Cli::parse` would do, with the code taken from `Exit`:
            // help and version go to stdout and succeed.
            let _ = e.print();
            return if e.use_stderr() { Exit::Usage } else { Exit::Ok }.into();
        }
    };
    match run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            // Errors quote their input (names, catalog lines); their own
            // line breaks stay, control characters in them do not.
            let msg = format!("{e:#}");
            eprintln!("error: {}", msg.lines().map(terminal).collect::<Vec<_>>().join("\n"));
            Exit::Tool.into()
        }
    }
}

fn run(cli: Cli) -> Result<Exit> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Collect { aws, output } => {
            let written = collect_to_file(&aws, &output, quiet)?;
            note(
                quiet,
                &format!(
                    "wrote {} ({} resources, {} collection errors)",
                    terminal(&output.display().to_string()),
                    written.resources,
                    written.errors
                ),
            );
            Ok(if written.errors == 0 { Exit::Ok } else { Exit::Missing })
        }
        Command::Pack { snapshots, pack, output } => {
            // Fail on a bad catalog, input or key before reading large snapshots.
            let (catalog, inputs, signer) = prepare(&pack)?;
            let baseline = load_baseline(&pack, &signer)?;
            let snapshot = read_snapshots(&snapshots)?;
            finish(snapshot, &catalog, &inputs, &signer, baseline.as_ref(), &output, quiet)
        }
        Command::Run { aws, pack, output, snapshot: snapshot_out } => {
            // Fail on a bad key, catalog or input before spending time on AWS.
            let (catalog, inputs, signer) = prepare(&pack)?;
            let baseline = load_baseline(&pack, &signer)?;
            let snapshot = collect_snapshot(&aws, Some(catalog.kinds()), quiet)?;
            if let Some(p) = snapshot_out {
                write_snapshot(&p, &snapshot)?;
            }
            finish(snapshot, &catalog, &inputs, &signer, baseline.as_ref(), &output, quiet)
        }
        Command::Diff { old, new, public_key, json, fail_on_regression } => {
            let key = public_key.as_deref().map(read_public_key).transpose()?;
            let mut packs = Vec::with_capacity(2);
            for p in [&old, &new] {
                match diff::open(p, key.as_ref()) {
                    Ok(v) => packs.push(v),
                    Err(e) if e.is_unverified() => {
                        eprintln!("{}", terminal(&e.to_string()));
                        return Ok(Exit::Unverified);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let d = diff::compare(&packs[0], &packs[1]);
            print!("{}", if json { d.to_json() } else { d.markdown() });
            if key.is_none() {
                note(quiet, "warning: the packs were not verified; pass --public-key KEY.pub to verify them first");
            }
            Ok(if fail_on_regression && d.regression { Exit::Failed } else { Exit::Ok })
        }
        Command::Lens { controls, output } => {
            let catalog = load_catalog(controls.as_deref())?;
            let lens = evaluate::lens::lens(&catalog);
            evidence_pack::fs::write_atomic(&output, lens.as_bytes())?;
            note(quiet, &format!("wrote {}", terminal(&output.display().to_string())));
            Ok(Exit::Ok)
        }
        Command::Evaluate { snapshots, controls, inputs, json } => {
            let catalog = load_catalog(controls.as_deref())?;
            let inputs = load_inputs(&inputs, &catalog)?;
            let snapshot = read_snapshots(&snapshots)?;
            let results = evaluate::evaluate_with(&snapshot, &catalog, &inputs);
            print_warnings(&inputs, &results);
            if json {
                print!("{}", results.to_json());
            } else {
                for c in &results.controls {
                    println!("{:<14} {:<15} {}", terminal(&c.id), c.status.as_str(), terminal(&c.reason));
                }
            }
            Ok(exit_for(&results))
        }
        Command::Verify { pack, public_key, reseal } => {
            let key = ssh_key::PublicKey::read_openssh_file(&public_key).with_context(|| {
                format!("cannot read public key {} (expected an OpenSSH `.pub` line)", public_key.display())
            })?;
            let file = std::fs::File::open(&pack).with_context(|| format!("cannot open {}", pack.display()))?;
            let shown = terminal(&pack.to_string_lossy()).into_owned();
            match seal::verify(std::io::BufReader::new(file), &key, seal::Limits::default(), reseal) {
                Ok(v) => {
                    println!(
                        "{shown}: OK — {} files match {}{} and the signature is valid ({})",
                        v.files.len(),
                        seal::MANIFEST,
                        if reseal { ", the pack re-seals to the same bytes," } else { "" },
                        v.signer_fingerprint
                    );
                    println!("pack id: {}", v.pack_id);
                    Ok(Exit::Ok)
                }
                Err(e) => {
                    eprintln!("{shown}: FAILED — {e}");
                    Ok(Exit::Unverified)
                }
            }
        }
        Command::Demo { output } => {
            let snapshot = Snapshot::from_json("examples/snapshot.json (built in)", evidence_pack::EXAMPLE_SNAPSHOT)?;
            let signer = Signer::generate();
            let packed = evidence_pack::pack(&snapshot, &Catalog::builtin(), &Inputs::default(), &signer)?;
            let pub_path = output.with_extension("pub");
            evidence_pack::fs::write_atomic(
                &pub_path,
                format!("{}\n", signer.public_openssh("evidence-pack-demo")).as_bytes(),
            )?;
            evidence_pack::fs::write_atomic(&output, &packed.zip)?;
            print_summary(&packed.results, &output, quiet);
            let (output, pub_path) = (output.display().to_string(), pub_path.display().to_string());
            println!("public key: {}", terminal(&pub_path));
            println!("verify with: evidence-pack verify {} --public-key {}", terminal(&output), terminal(&pub_path));
            // The demo account fails controls on purpose; that is not an error here.
            Ok(Exit::Ok)
        }
    }
}

fn note(quiet: bool, msg: &str) {
    if !quiet {
        eprintln!("{msg}");
    }
}

/// `kinds`: what the catalog will read (`run`); `None` reads everything
/// (`collect`, whose snapshot any catalog may evaluate later).
fn collect_snapshot(
    aws: &CollectArgs,
    kinds: Option<std::collections::BTreeSet<String>>,
    quiet: bool,
) -> Result<Snapshot> {
    runtime()?.block_on(async {
        let config = aws_config(aws).await;
        let options = collect::Options { regions: aws.regions.clone(), progress: !quiet, kinds };
        match org_options(aws) {
            None => collect::collect(&config, &options).await.context("collecting evidence"),
            Some(org) => {
                collect::collect_org(&config, &options, &org).await.context("collecting the organisation's evidence")
            }
        }
    })
}

/// `collect`: every account goes to `output` as soon as it is read, so
/// memory does not grow with the organisation.
fn collect_to_file(aws: &CollectArgs, output: &Path, quiet: bool) -> Result<Written> {
    // Made first, so an output that cannot be written fails before AWS is read.
    let mut writer = SnapshotWriter::new(output)?;
    runtime()?.block_on(async {
        let config = aws_config(aws).await;
        let options = collect::Options { regions: aws.regions.clone(), progress: !quiet, kinds: None };
        match org_options(aws) {
            None => {
                let snapshot = collect::collect(&config, &options).await.context("collecting evidence")?;
                let window = snapshot.collected_at;
                writer.add(snapshot)?;
                Ok(writer.finish(window)?)
            }
            Some(org) => collect::collect_org_to(&config, &options, &org, writer)
                .await
                .context("collecting the organisation's evidence"),
        }
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

async fn aws_config(aws: &CollectArgs) -> aws_config::SdkConfig {
    let limits = collect::Limits {
        max_concurrency: aws.max_concurrency as usize,
        timeout: std::time::Duration::from_secs(aws.timeout),
    };
    collect::load_config(aws.profile.as_deref(), limits).await
}

fn org_options(aws: &CollectArgs) -> Option<collect::OrgOptions> {
    aws.org.org.then(|| collect::OrgOptions {
        role_name: aws.org.role_name.clone(),
        external_id: aws.org.external_id.clone(),
        accounts: aws.org.accounts.clone(),
        exclude_accounts: aws.org.exclude_accounts.clone(),
        ou: aws.org.ou.clone(),
        shard: aws.org.shard,
    })
}

fn read_snapshots(paths: &[PathBuf]) -> Result<Snapshot> {
    let parts = paths.iter().map(|p| Snapshot::read(p).map_err(anyhow::Error::from)).collect::<Result<Vec<_>>>()?;
    Snapshot::merge(parts).context("no snapshot given")
}

fn load_catalog(path: Option<&Path>) -> Result<Catalog> {
    Ok(match path {
        Some(p) => Catalog::read(p)?,
        None => Catalog::builtin(),
    })
}

/// Read the inputs and check them against the catalog they will be applied with.
fn load_inputs(args: &InputArgs, catalog: &Catalog) -> Result<Inputs> {
    let inputs = Inputs {
        attestations: args.attestations.as_deref().map(Attestations::read).transpose()?.unwrap_or_default(),
        exceptions: args.exceptions.as_deref().map(Exceptions::read).transpose()?.unwrap_or_default(),
    };
    inputs.check(catalog)?;
    Ok(inputs)
}

/// Inputs that applied oddly are worth a look but do not stop the run; they
/// show even with --quiet, as they say the inputs and the pack disagree.
fn print_warnings(inputs: &Inputs, results: &Results) {
    use evidence_pack::text::terminal;
    for w in inputs.warnings(results) {
        eprintln!("warning: {}:{}:{}: {}", terminal(&w.path), w.line, w.column, terminal(&w.message));
        eprintln!("  hint: {}", terminal(&w.hint));
    }
}

/// Exceptions about to lapse (`--warn-expiring`), shown even with --quiet:
/// someone has to act before the next pack.
fn print_expiring(inputs: &Inputs, collected: chrono::DateTime<chrono::Utc>) {
    for w in inputs.exceptions.expiring(collected) {
        eprintln!("warning: {}:{}:{}: {}", terminal(&w.path), w.line, w.column, terminal(&w.message));
        eprintln!("  hint: {}", terminal(&w.hint));
    }
}

fn read_public_key(path: &Path) -> Result<ssh_key::PublicKey> {
    ssh_key::PublicKey::read_openssh_file(path).with_context(|| {
        format!("cannot read public key {} (expected an OpenSSH `.pub` line)", terminal(&path.display().to_string()))
    })
}

/// The `--baseline` pack, verified with `--baseline-public-key` or else
/// the public half of the signing key: a baseline is last quarter's pack
/// from the same signer, and its findings' first sightings carry over.
fn load_baseline(args: &PackArgs, signer: &Signer) -> Result<Option<diff::PackView>> {
    let Some(path) = &args.baseline else { return Ok(None) };
    let key = match &args.baseline_public_key {
        Some(k) => read_public_key(k)?,
        None => signer.public_key().clone(),
    };
    let view = diff::open(path, Some(&key))
        .context("the baseline must be a pack signed with --key, or with the key given as --baseline-public-key")?;
    Ok(Some(view))
}

fn load_key(path: &Path) -> Result<Signer> {
    Ok(Signer::from_file(path)?)
}

/// Everything a pack needs besides the snapshot, checked up front.
fn prepare(args: &PackArgs) -> Result<(Catalog, Inputs, Signer)> {
    let catalog = load_catalog(args.controls.as_deref())?;
    let mut inputs = load_inputs(&args.inputs, &catalog)?;
    inputs.exceptions.warn_days = args.warn_expiring;
    let signer = load_key(&args.key)?;
    Ok((catalog, inputs, signer))
}

fn finish(
    snapshot: Snapshot,
    catalog: &Catalog,
    inputs: &Inputs,
    signer: &Signer,
    baseline: Option<&diff::PackView>,
    output: &Path,
    quiet: bool,
) -> Result<Exit> {
    let prepared = evidence_pack::prepare(&snapshot, catalog, inputs, baseline).context("building the pack")?;
    let collected = snapshot.collected_at.finished;
    // Everything further needs only what `prepare` made of it.
    drop(snapshot);
    let packed = prepared.seal(signer).context("building the pack")?;
    evidence_pack::fs::write_atomic(output, &packed.zip)?;
    print_warnings(inputs, &packed.results);
    print_expiring(inputs, collected);
    print_summary(&packed.results, output, quiet);
    Ok(exit_for(&packed.results))
}

fn print_summary(results: &Results, output: &Path, quiet: bool) {
    let s = &results.summary;
    note(
        quiet,
        &format!(
            "wrote {}: {} controls — {} pass, {} fail, {} error, {} manual ({} open), {} not applicable, {} excepted",
            terminal(&output.display().to_string()),
            results.controls.len(),
            s.counts.pass,
            s.counts.fail,
            s.counts.error,
            s.counts.manual,
            s.open_attestations.len(),
            s.counts.not_applicable,
            s.counts.excepted
        ),
    );
}

fn exit_for(results: &Results) -> Exit {
    if results.summary.counts.fail > 0 {
        Exit::Failed
    } else if results.summary.counts.error > 0 {
        Exit::Missing
    } else {
        Exit::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_the_commit_and_the_built_in_catalog() {
        let v = command().try_get_matches_from(["evidence-pack", "--version"]).unwrap_err().to_string();
        let sha = evaluate::catalog::builtin_sha256();
        assert!(v.starts_with(&format!("evidence-pack {} (commit ", env!("CARGO_PKG_VERSION"))), "{v}");
        assert!(v.contains(&format!("built-in catalog sha256 {sha})")), "{v}");
        assert!(!evidence_pack::COMMIT.is_empty());
    }

    #[test]
    fn exit_codes_are_their_position_and_usage_is_clap_s() {
        for (i, e) in Exit::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(e.code()), i, "{e:?}");
        }
        let err = Cli::try_parse_from(["evidence-pack", "--no-such-flag"]).err().unwrap();
        assert_eq!(err.exit_code(), i32::from(Exit::Usage.code()));
        let help = Cli::try_parse_from(["evidence-pack", "--help"]).err().unwrap();
        assert_eq!(help.exit_code(), i32::from(Exit::Ok.code()));
    }

    /// Organisation flags: a bad shard or account id, or a flag that only
    /// means something with `--org`, is a usage error before any AWS call.
    #[test]
    fn organisation_flags_are_checked_when_parsed() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["evidence-pack", "collect", "-o", "x.json"], args].concat());
        let cli = parse(&["--org", "--shard", "2/3", "--accounts", "111111111111,222222222222"]).unwrap();
        let Command::Collect { aws, .. } = cli.command else { panic!("not collect") };
        assert_eq!(aws.org.shard, Some(collect::Shard { index: 2, count: 3 }));
        assert_eq!(aws.org.accounts.unwrap(), ["111111111111", "222222222222"]);
        assert_eq!(aws.org.role_name, collect::DEFAULT_ROLE_NAME);
        assert_eq!((aws.max_concurrency, aws.timeout), (64, 30));
        for bad in [
            &["--org", "--shard", "4/3"][..],
            &["--org", "--shard", "0/3"],
            &["--org", "--accounts", "12345"],
            &["--org", "--exclude-accounts", "11111111111a"],
            &["--shard", "1/3"],
            &["--role-name", "Auditor"],
            &["--max-concurrency", "0"],
            &["--timeout", "0"],
        ] {
            let err = parse(bad).err().unwrap_or_else(|| panic!("{bad:?} parsed"));
            assert_eq!(err.exit_code(), i32::from(Exit::Usage.code()), "{bad:?}");
        }
    }

    #[test]
    fn help_lists_every_exit_code_within_72_columns() {
        let help = exit_codes_help();
        assert!(help.lines().all(|l| l.len() <= 72), "{help}");
        let joined = help.lines().skip(1).map(str::trim).collect::<Vec<_>>().join(" ");
        for e in Exit::ALL {
            assert!(joined.contains(&format!("{}  {}", e.code(), e.meaning())), "{e:?} in {help}");
        }
    }

    /// The README's "Exit codes" table says what `Exit` says, backticks aside.
    #[test]
    fn readme_exit_code_table_matches() {
        let readme = include_str!("../README.md");
        let section = &readme[readme.find("### Exit codes").expect("README has an Exit codes section")..];
        let rows: Vec<(String, String)> = section
            .lines()
            .skip_while(|l| !l.starts_with("|---"))
            .skip(1)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                (cells[0].to_string(), cells[1].replace('`', ""))
            })
            .collect();
        let expected: Vec<(String, String)> =
            Exit::ALL.iter().map(|e| (e.code().to_string(), e.meaning().replace('`', ""))).collect();
        assert_eq!(rows, expected);
    }
}
