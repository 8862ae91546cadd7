//! Integration tests: the real `evidence-pack` binary against a real AWS API
//! emulator (moto in server mode), and the pack checked with the tools an
//! auditor uses. One test binary, because each links the whole AWS SDK.

mod harness;

mod accounts;
mod catalog;
mod collect;
mod diff;
mod examples;
mod hostile;
mod inputs;
mod org;
mod oscal;
mod pdf;
mod report;
mod scale;
mod seal;
mod verdicts_ecr;
mod verdicts_misc;
mod verdicts_s3;
mod verdicts_trail_iam;
