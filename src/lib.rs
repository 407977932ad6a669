//! keysweep: a secret-leak scanner and key-hygiene linter.
//!
//! Data flows one way through the pipeline: a source (`sources`: the working
//! tree) yields blobs with provenance; the `matcher`, compiled once from the
//! data in `rules/`, finds candidate secrets with a keyword prefilter and
//! per-rule regexes and drops placeholders; `pipeline` turns matches into
//! `findings` (rule, secret, location, fingerprint) and applies inline allows
//! (`filter`); reporters (`report`) write text, JSON, SARIF or GitHub
//! annotations. `cli` holds argument syntax, `config` validates it, and `app`
//! wires the stages for each command.

pub mod app;
pub mod cli;
pub mod config;
pub mod filter;
pub mod lint;
pub mod matcher;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod rulecheck;
pub mod rules;
pub mod sources;
pub mod verify;
