//! The shipped deployment examples (examples/k8s, examples/github-actions)
//! fan `collect --org --shard I/N` out over N workers and pack the N shards.
//! Each hard-codes N in several places; a disagreement would silently drop
//! or double accounts, so these tests parse the files and run their shell
//! snippets, with a stand-in `evidence-pack` that records its arguments, to
//! see the commands each worker really runs. (The IAM template's actions are
//! checked against the README next to the registry, src/collect/registry.rs.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn example(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml_docs(rel: &str) -> Vec<Value> {
    serde_saphyr::from_multiple(&example(rel)).unwrap_or_else(|e| panic!("{rel} does not parse: {e}"))
}

fn kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let mut found = docs.iter().filter(|d| d["kind"] == kind);
    let doc = found.next().unwrap_or_else(|| panic!("no {kind}"));
    assert!(found.next().is_none(), "more than one {kind}");
    doc
}

fn int(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// A directory whose `evidence-pack` (on PATH and as `bin/evidence-pack`)
/// writes its arguments, one per line, to `args` and exits with `exit_code`.
struct Stand {
    dir: tempfile::TempDir,
}

impl Stand {
    fn new(exit_code: i32) -> Stand {
        let dir = tempfile::tempdir().unwrap();
        let script =
            format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"{}/args\"\nexit {exit_code}\n", dir.path().display());
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        for path in [dir.path().join("evidence-pack"), dir.path().join("bin/evidence-pack")] {
            std::fs::write(&path, &script).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Stand { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `script` as `shell` would in the example, in this directory.
    fn run(&self, shell: &[&str], script: &str, env: &[(&str, &str)]) -> Output {
        let search = format!("{}:{}", self.path().display(), std::env::var("PATH").unwrap_or_default());
        // A stand-in written a moment ago can still be open in a child another
        // test thread forked meanwhile ("Text file busy"); that passes.
        for _ in 0..20 {
            let out = Command::new(shell[0])
                .args(&shell[1..])
                .arg(script)
                .current_dir(self.path())
                .env("PATH", &search)
                .envs(env.iter().copied())
                .output()
                .unwrap();
            if !String::from_utf8_lossy(&out.stderr).contains("Text file busy") {
                return out;
            }
        }
        panic!("the stand-in stayed busy");
    }

    fn args(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.path().join("args")).expect("evidence-pack was run");
        text.lines().map(String::from).collect()
    }
}

/// The pod's `sh -c` script, from `command: [/bin/sh, -c, SCRIPT]`.
fn sh_script(container: &Value) -> &str {
    let command = container["command"].as_array().expect("a command list");
    assert_eq!(command.len(), 3, "{command:?}");
    assert_eq!(command[1], "-c");
    command[2].as_str().unwrap()
}

fn volume_claim<'a>(pod: &'a Value, container: &Value, mount_path: &str) -> &'a Value {
    let mounts = container["volumeMounts"].as_array().unwrap();
    let mount = mounts.iter().find(|m| m["mountPath"] == mount_path).unwrap_or_else(|| panic!("no mount {mount_path}"));
    let volumes = pod["volumes"].as_array().unwrap();
    volumes.iter().find(|v| v["name"] == mount["name"]).expect("the mounted volume")
}

#[test]
fn k8s_indexed_job_collects_each_shard_once_and_packs_them_all() {
    let docs = yaml_docs("k8s/indexed-job.yaml");
    let job = kind(&docs, "Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let n = int(&spec["completions"]);
    let parallelism = int(&spec["parallelism"]);
    assert!((1..=n).contains(&parallelism), "parallelism {parallelism} for {n} shards");
    let pod = &spec["template"]["spec"];
    // Pod Identity and IRSA both bind credentials to the service account.
    assert_eq!(pod["serviceAccountName"], kind(&docs, "ServiceAccount")["metadata"]["name"]);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let claim = &volume_claim(pod, &pod["containers"][0], "/out")["persistentVolumeClaim"]["claimName"];
    let pvc = kind(&docs, "PersistentVolumeClaim");
    assert_eq!(*claim, pvc["metadata"]["name"]);
    assert_eq!(pvc["spec"]["accessModes"], serde_json::json!(["ReadWriteMany"]), "N pods write it at once");

    let script = sh_script(&pod["containers"][0]);
    assert!(script.contains("--shard $((JOB_COMPLETION_INDEX+1))/"), "{script}");
    let mut outputs = Vec::new();
    for index in 0..n {
        let stand = Stand::new(0);
        let out = stand.run(&["sh", "-c"], script, &[("JOB_COMPLETION_INDEX", &index.to_string())]);
        assert!(out.status.success(), "{out:?}");
        let output = format!("/out/shard-{index}.json");
        let shard = format!("{}/{n}", index + 1);
        assert_eq!(stand.args(), ["collect", "--org", "--shard", &shard, "-o", &output]);
        outputs.push(output);
    }

    let pack_docs = yaml_docs("k8s/pack-job.yaml");
    let pack_pod = &kind(&pack_docs, "Job")["spec"]["template"]["spec"];
    let container = &pack_pod["containers"][0];
    assert_eq!(volume_claim(pack_pod, container, "/out")["persistentVolumeClaim"]["claimName"], *claim);
    let key_mount = container["volumeMounts"].as_array().unwrap().iter().find(|m| m["mountPath"] == "/key").unwrap();
    assert_eq!(key_mount["readOnly"], true);
    assert!(volume_claim(pack_pod, container, "/key")["secret"]["secretName"].is_string());
    // Collect pods must never see the signing key.
    assert!(!example("k8s/indexed-job.yaml").contains("signing-key"));

    let script = sh_script(container);
    let stand = Stand::new(0);
    let out = stand.run(&["sh", "-c"], script, &[]);
    assert!(out.status.success(), "{out:?}");
    let mut expected: Vec<String> = vec!["pack".into()];
    expected.extend(outputs);
    expected.extend(["-o", "/out/evidence-pack.zip", "--key", "/key/signing-key"].map(String::from));
    assert_eq!(stand.args(), expected);

    // Failed controls (3) and missing evidence (4) still wrote the pack; a
    // tool error (1) did not and must fail the Job.
    for (code, ok) in [(3, true), (4, true), (1, false), (2, false)] {
        let out = Stand::new(code).run(&["sh", "-c"], script, &[]);
        assert_eq!(out.status.success(), ok, "exit {code}: {out:?}");
    }
}

/// The step of `job` whose `run` or `uses` contains `needle`.
fn step<'a>(job: &'a Value, needle: &str) -> &'a Value {
    let steps = job["steps"].as_array().expect("steps");
    let mut found = steps.iter().filter(|s| {
        s["run"].as_str().is_some_and(|r| r.contains(needle)) || s["uses"].as_str().is_some_and(|u| u.contains(needle))
    });
    let s = found.next().unwrap_or_else(|| panic!("no step with {needle}"));
    assert!(found.next().is_none(), "more than one step with {needle}");
    s
}

/// Substitutes `${{ matrix.shard }}` as Actions does before the shell runs.
fn for_shard(text: &str, shard: u64) -> String {
    text.replace("${{ matrix.shard }}", &shard.to_string())
}

#[test]
fn github_actions_matrix_collects_each_shard_once_and_packs_them_all() {
    let text = example("github-actions/quarterly-evidence.yml");
    let wf: Value = serde_saphyr::from_str(&text).expect("the workflow parses");
    assert_eq!(wf["on"]["schedule"][0]["cron"], "0 6 1 1,4,7,10 *", "quarterly");
    // Every action pinned to a major version (or a commit), never a branch.
    for line in text.lines().filter_map(|l| l.trim().strip_prefix("- uses: ")) {
        let (_, version) = line.split_once('@').unwrap_or_else(|| panic!("unpinned: {line}"));
        let major = version.strip_prefix('v').is_some_and(|v| v.split('.').all(|p| p.parse::<u32>().is_ok()));
        let commit = version.len() == 40 && version.chars().all(|c| c.is_ascii_hexdigit());
        assert!(major || commit, "not pinned to a version: {line}");
    }

    let collect = &wf["jobs"]["collect"];
    assert_eq!(collect["permissions"]["id-token"], "write", "OIDC needs an id token");
    let shards: Vec<u64> = collect["strategy"]["matrix"]["shard"].as_array().unwrap().iter().map(int).collect();
    let n = shards.len() as u64;
    assert_eq!(shards, (1..=n).collect::<Vec<_>>(), "shards 1..=N, each once");
    let creds = step(collect, "aws-actions/configure-aws-credentials@");
    assert!(creds["with"]["role-to-assume"].is_string());
    assert!(creds["with"].get("aws-access-key-id").is_none(), "OIDC, not stored keys");

    let run = step(collect, "evidence-pack collect")["run"].as_str().unwrap();
    assert!(run.contains(&format!("--shard ${{{{ matrix.shard }}}}/{n}")), "{run}");
    let upload = step(collect, "actions/upload-artifact@");
    let mut files = Vec::new();
    for shard in shards {
        let stand = Stand::new(0);
        let out = stand.run(&["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"], &for_shard(run, shard), &[]);
        assert!(out.status.success(), "{out:?}");
        let file = format!("shard-{shard}.json");
        assert_eq!(stand.args(), ["collect", "--org", "--shard", &format!("{shard}/{n}"), "-o", &file]);
        assert_eq!(for_shard(upload["with"]["path"].as_str().unwrap(), shard), file, "the shard's file is uploaded");
        files.push(format!("shards/{file}"));
    }

    let pack = &wf["jobs"]["pack"];
    assert_eq!(pack["needs"], "collect", "packs only after every shard succeeded");
    assert!(pack["permissions"].get("id-token").is_none(), "packing needs no AWS identity");
    let merge = step(pack, "evidence-pack pack");
    assert_eq!(merge["env"]["SIGNING_KEY"], "${{ secrets.EVIDENCE_PACK_SIGNING_KEY }}");
    let script = merge["run"].as_str().unwrap();
    for (code, ok) in [(0, true), (3, true), (4, true), (1, false)] {
        let stand = Stand::new(code);
        let temp = stand.path().join("runner-temp");
        std::fs::create_dir(&temp).unwrap();
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----";
        let env = [("RUNNER_TEMP", temp.to_str().unwrap()), ("SIGNING_KEY", key)];
        let out = stand.run(&["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"], script, &env);
        assert_eq!(out.status.success(), ok, "exit {code}: {out:?}");
        let key_file: PathBuf = temp.join("signing-key");
        let mut expected: Vec<String> = vec!["pack".into()];
        expected.extend(files.iter().cloned());
        expected.extend(["-o", "evidence-pack.zip", "--key", key_file.to_str().unwrap()].map(String::from));
        assert_eq!(stand.args(), expected);
        assert!(!key_file.exists(), "the key is removed from the runner whatever the exit code");
    }
    let published = step(pack, "actions/upload-artifact@");
    assert_eq!(published["with"]["path"], "evidence-pack.zip");
}

/// Every name a `Ref` or `Fn::Sub` in `v` refers to.
fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("Ref", Value::String(name)) => out.push(name.clone()),
                    ("Fn::Sub", Value::String(text)) => {
                        for part in text.split("${").skip(1) {
                            out.push(part.split('}').next().unwrap().to_string());
                        }
                    }
                    _ => references(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

#[test]
fn iam_template_trusts_the_management_account_with_an_optional_external_id() {
    let text = example("iam/evidence-pack-readonly-role.yaml");
    // A short-form tag (`!Sub`) is not plain YAML: the permission test next
    // to the registry could not read the template.
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        assert!(!line.contains(": !") && !line.contains("- !"), "short-form intrinsic: {line}");
    }
    let t: Value = serde_saphyr::from_str(&text).unwrap();
    let params = &t["Parameters"];
    assert_eq!(params["RoleName"]["Default"], "EvidencePackReadOnly", "`--role-name`'s default");
    assert_eq!(params["ExternalId"]["Default"], "", "no external id unless one is given");
    assert!(params["ManagementAccountId"].get("Default").is_none(), "the trusted account is always chosen");
    assert_eq!(
        t["Conditions"]["HasExternalId"],
        serde_json::json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]})
    );

    let role = &t["Resources"]["EvidencePackReadOnlyRole"]["Properties"];
    assert_eq!(role["RoleName"], serde_json::json!({"Ref": "RoleName"}));
    let trust = role["AssumeRolePolicyDocument"]["Statement"].as_array().unwrap();
    assert_eq!(trust.len(), 1, "one way in");
    let st = &trust[0];
    assert_eq!(st["Effect"], "Allow");
    assert_eq!(st["Action"], "sts:AssumeRole");
    assert_eq!(
        st["Principal"],
        serde_json::json!({"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"}})
    );
    assert_eq!(
        st["Condition"],
        serde_json::json!({"Fn::If": [
            "HasExternalId",
            {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
            {"Ref": "AWS::NoValue"}
        ]})
    );

    // A misspelt reference only fails when the StackSet deploys, in every
    // member at once.
    let mut refs = Vec::new();
    references(&t["Resources"], &mut refs);
    references(&t["Outputs"], &mut refs);
    let declared = params.as_object().unwrap().keys().chain(t["Resources"].as_object().unwrap().keys());
    let declared: Vec<&str> = declared.map(String::as_str).collect();
    for r in refs {
        assert!(r.starts_with("AWS::") || declared.contains(&r.as_str()), "undeclared reference {r}");
    }
}
