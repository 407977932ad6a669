//! Commit ranges: `A..B` as the user writes it, and the commits a push
//! sends, from the lines git gives a pre-push hook.

use crate::sources::repo::Repo;
use crate::sources::SourceError;
use gix_hash::ObjectId;
use std::path::Path;

/// A set of commits: those reachable from `tips` and from none of `hide`
/// (nor, with `hide_remote`, from any remote-tracking ref).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRange {
    /// How the user wrote it, for messages.
    pub label: String,
    /// Revisions to start from.
    pub tips: Vec<String>,
    /// Revisions whose history is left out.
    pub hide: Vec<String>,
    /// Leave out what `refs/remotes/<name>/*` reaches (every remote's refs
    /// when the name is empty): a new branch's pushed commits.
    pub hide_remote: Option<String>,
}

impl CommitRange {
    /// `A..B` (an empty side means HEAD).
    pub fn parse(spec: &str) -> Result<Self, String> {
        if spec.contains("...") {
            return Err(format!(
                "`{spec}`: symmetric ranges (A...B) are not supported; use A..B"
            ));
        }
        let Some((a, b)) = spec.split_once("..") else {
            return Err(format!("`{spec}` is not a range (use A..B)"));
        };
        let side = |s: &str| {
            if s.is_empty() {
                "HEAD".to_string()
            } else {
                s.to_string()
            }
        };
        Ok(CommitRange {
            label: spec.to_string(),
            tips: vec![side(b)],
            hide: vec![side(a)],
            hide_remote: None,
        })
    }

    /// The commits a push sends, from the lines git gives a pre-push hook
    /// on standard input (`<local ref> <local id> <remote ref> <remote id>`):
    /// everything the local ids reach that the remote does not have (its
    /// current ids, or for a new branch, anything `refs/remotes/<remote>/`
    /// reaches). Branch deletions send nothing. `None`: nothing to scan.
    pub fn for_push(
        repo_path: &Path,
        remote: Option<&str>,
        input: &str,
    ) -> Result<Option<Self>, SourceError> {
        let repo = Repo::open(repo_path)?;
        let mut range = CommitRange {
            label: "the pushed commits".to_string(),
            tips: Vec::new(),
            hide: Vec::new(),
            hide_remote: None,
        };
        for (n, line) in input.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.rsplitn(4, ' ').collect();
            let [remote_id, _remote_ref, local_id, _local_ref] = fields[..] else {
                return Err(SourceError::Setup(format!(
                    "standard input line {}: expected `<local ref> <local id> <remote ref> <remote id>` (as git passes it to a pre-push hook)",
                    n + 1
                )));
            };
            let id = |text: &str| {
                ObjectId::from_hex(text.as_bytes()).map_err(|_| {
                    SourceError::Setup(format!(
                        "standard input line {}: `{}` is not a commit id",
                        n + 1,
                        text.chars().take(64).collect::<String>()
                    ))
                })
            };
            let (local, theirs) = (id(local_id)?, id(remote_id)?);
            if local.is_null() {
                continue; // deleting a branch sends nothing
            }
            range.tips.push(local.to_string());
            if !theirs.is_null() && repo.repo.find_commit(theirs).is_ok() {
                range.hide.push(theirs.to_string());
            } else {
                // A new branch, or a remote tip this clone does not have.
                range.hide_remote = Some(remote.unwrap_or_default().to_string());
            }
        }
        Ok((!range.tips.is_empty()).then_some(range))
    }
}
