//! What the walk learned, kept small, and how findings fold back into one
//! per (rule, secret, path).
//!
//! Every (blob, commit, path) introduction is a 32-byte [`Intro`]; paths are
//! stored once each, as the bytes git has (two names that differ only in
//! bytes that are not UTF-8 stay two paths); a [`Place`] is built only while
//! its blob is scanned. After the scan, findings are grouped by rule,
//! secret and path: the earliest commit wins, with the number of commits and
//! paths that held the secret and whether HEAD still has it; author, date
//! and message are read then, for reported commits only.
//!
//! Cost: memory linear in introductions (32 bytes each) plus unique paths.

use super::packorder;
use crate::model::{display_path_bytes, CommitInfo, Finding, GitProvenance, Provenance};
use crate::sources::repo::one_line;
use crate::sources::{LineSet, Place, SourceError};
use gix_hash::ObjectId;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Paths, each stored once (as git's bytes) and named by its number.
#[derive(Debug, Default)]
pub(super) struct Paths {
    names: Vec<Box<[u8]>>,
    ids: HashMap<Box<[u8]>, u32>,
}

impl Paths {
    pub fn intern(&mut self, path: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(path) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(path.into());
        self.ids.insert(path.into(), id);
        id
    }

    pub fn get(&self, id: u32) -> &[u8] {
        &self.names[id as usize]
    }
}

/// One time history introduced a blob at a path.
#[derive(Debug)]
pub(super) struct Intro {
    /// SHA-1 bytes of the blob (SHA-256 repositories are refused up front).
    pub blob: [u8; 20],
    /// Walk order of the commit; [`UNREACHABLE`] for a blob no commit reaches.
    pub commit: u32,
    pub path: u32,
    /// Index into `Walked::added` (range mode), or [`EVERY_LINE`].
    pub added_lines: u32,
}

// Memory per introduction, as README "Benchmarks" says.
const _: () = assert!(std::mem::size_of::<Intro>() == 32);

/// `Intro::added_lines` when every line of the blob counts.
pub(super) const EVERY_LINE: u32 = u32::MAX;

/// `Intro::commit` of blobs found only in the object store (`--all-objects`).
pub(super) const UNREACHABLE: u32 = u32::MAX;

/// An object id from an introduction's bytes.
pub(super) fn blob_id(bytes: &[u8; 20]) -> ObjectId {
    ObjectId::Sha1(*bytes)
}

/// The bytes an introduction keeps of an id.
pub(super) fn blob_bytes(id: &ObjectId) -> [u8; 20] {
    let mut out = [0u8; 20];
    out.copy_from_slice(&id.as_bytes()[..20]);
    out
}

/// What the walk found: every introduction, grouped by blob.
#[derive(Debug, Default)]
pub(super) struct Walked {
    /// Sorted by blob, then commit order.
    pub intros: Vec<Intro>,
    /// Each unique blob's introductions (a range of `intros`), in pack order.
    pub blobs: Vec<(ObjectId, std::ops::Range<usize>)>,
    pub paths: Paths,
    /// Every walked commit, by walk order.
    pub commits: Vec<ObjectId>,
    /// Lines each introduction added (range mode only).
    pub added: Vec<Arc<LineSet>>,
    /// Index in `added` of the set of every line, once stored.
    all_lines: Option<u32>,
}

impl Walked {
    /// Store what an introduction added; its index for `Intro::added_lines`.
    pub fn added_lines(&mut self, lines: Option<LineSet>) -> u32 {
        match lines {
            Some(lines) => {
                self.added.push(Arc::new(lines));
                (self.added.len() - 1) as u32
            }
            None => EVERY_LINE,
        }
    }

    /// The index of a set holding every line (stored once): what a range
    /// adds when it adds a whole file.
    pub fn every_line_added(&mut self) -> u32 {
        if let Some(i) = self.all_lines {
            return i;
        }
        let i = self.added_lines(Some(LineSet::every_line()));
        self.all_lines = Some(i);
        i
    }

    /// Blobs in the object store that no walked commit introduced.
    pub fn add_unreachable(&mut self, blobs: Vec<ObjectId>) {
        let seen: HashSet<[u8; 20]> = self.intros.iter().map(|i| i.blob).collect();
        for id in blobs {
            let bytes = blob_bytes(&id);
            if seen.contains(&bytes) {
                continue;
            }
            let path = self
                .paths
                .intern(format!("(unreachable blob {id})").as_bytes());
            self.intros.push(Intro {
                blob: bytes,
                commit: UNREACHABLE,
                path,
                added_lines: EVERY_LINE,
            });
        }
    }

    /// Group introductions by blob and order the blobs for reading: by
    /// position in the packs (see `packorder`), loose objects last, in id order.
    pub fn group(&mut self, objects_dir: &Path) {
        self.intros
            .sort_unstable_by_key(|i| (i.blob, i.commit, i.path));
        let mut ids: Vec<ObjectId> = Vec::new();
        let mut ranges = Vec::new();
        let mut start = 0;
        for i in 1..=self.intros.len() {
            if i == self.intros.len() || self.intros[i].blob != self.intros[start].blob {
                ids.push(blob_id(&self.intros[start].blob));
                ranges.push(start..i);
                start = i;
            }
        }
        self.intros.shrink_to_fit();
        let pos = packorder::positions(objects_dir, &ids);
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_unstable_by_key(|&i| (pos[i], ids[i]));
        self.blobs = order
            .into_iter()
            .map(|i| (ids[i], ranges[i].clone()))
            .collect();
    }

    /// The places of one blob, built for its scan. Commits carry only their
    /// id and order here; author, date and message are read by [`fill`]
    /// for the commits that end up in findings.
    pub fn places(&self, oid: &ObjectId, range: std::ops::Range<usize>) -> Vec<Place> {
        let blob = oid.to_string();
        let mut last: Option<Arc<CommitInfo>> = None;
        self.intros[range]
            .iter()
            .map(|intro| Place {
                path: display_path_bytes(self.paths.get(intro.path)),
                provenance: match self.commits.get(intro.commit as usize) {
                    Some(id) => {
                        let info = match &last {
                            Some(info) if info.order == intro.commit => info.clone(),
                            _ => Arc::new(CommitInfo {
                                commit: id.to_string(),
                                author: String::new(),
                                email: String::new(),
                                date: String::new(),
                                summary: String::new(),
                                order: intro.commit,
                            }),
                        };
                        last = Some(info.clone());
                        Provenance::Commit(GitProvenance {
                            commit: info,
                            blob: blob.clone(),
                            in_head: false,
                            commits: 1,
                            paths: 1,
                        })
                    }
                    None => Provenance::Unreachable { blob: blob.clone() },
                },
                added_lines: self.added.get(intro.added_lines as usize).cloned(),
                archive: None,
            })
            .collect()
    }
}

/// Fold per-commit findings into one per (rule, secret, path): the earliest
/// commit wins; count the commits and paths; mark what HEAD still has.
pub(super) fn group_by_path(
    findings: Vec<Finding>,
    head: &HashMap<String, ObjectId>,
) -> Vec<Finding> {
    let mut paths: HashMap<(String, String), HashSet<String>> = HashMap::new();
    let mut groups: HashMap<(String, String, String), Vec<Finding>> = HashMap::new();
    for f in findings {
        paths
            .entry((f.rule_id.clone(), f.secret.clone()))
            .or_default()
            .insert(f.path.clone());
        groups
            .entry((f.rule_id.clone(), f.secret.clone(), f.path.clone()))
            .or_default()
            .push(f);
    }
    let mut out = Vec::with_capacity(groups.len());
    for ((rule, secret, path), mut group) in groups {
        let head_blob = head.get(&path).map(ObjectId::to_string);
        let in_head = group.iter().any(|f| match &f.provenance {
            Provenance::Commit(g) => head_blob.as_deref() == Some(g.blob.as_str()),
            _ => false,
        });
        let commits: HashSet<&str> = group
            .iter()
            .filter_map(|f| match &f.provenance {
                Provenance::Commit(g) => Some(g.commit.commit.as_str()),
                _ => None,
            })
            .collect();
        let commits = commits.len();
        let n_paths = paths.get(&(rule, secret)).map_or(1, HashSet::len);
        group.sort_by_key(|f| match &f.provenance {
            Provenance::Commit(g) => (g.commit.order, f.line, f.column),
            _ => (u32::MAX, f.line, f.column),
        });
        let mut first = group.swap_remove(0);
        if let Provenance::Commit(g) = &mut first.provenance {
            g.in_head = in_head;
            g.commits = commits;
            g.paths = n_paths;
        }
        out.push(first);
    }
    out
}

/// Author, date and message of reported commits, read once each.
pub(super) struct CommitInfos<'r> {
    repo: &'r gix::Repository,
    infos: HashMap<u32, Arc<CommitInfo>>,
}

impl<'r> CommitInfos<'r> {
    pub fn new(repo: &'r gix::Repository) -> Self {
        CommitInfos {
            repo,
            infos: HashMap::new(),
        }
    }

    /// The full record of commit `id` (walk order `order`).
    pub fn get(&mut self, id: &str, order: u32) -> Result<Arc<CommitInfo>, SourceError> {
        if let Some(info) = self.infos.get(&order) {
            return Ok(info.clone());
        }
        let info = Arc::new(commit_info(self.repo, id, order)?);
        self.infos.insert(order, info.clone());
        Ok(info)
    }
}

/// A commit's id, author, date and summary.
fn commit_info(repo: &gix::Repository, id: &str, order: u32) -> Result<CommitInfo, SourceError> {
    let bad = |e: &dyn std::fmt::Display| SourceError::object(&id, one_line(&e.to_string()));
    let oid = ObjectId::from_hex(id.as_bytes()).map_err(|e| bad(&e))?;
    let commit = repo.find_commit(oid).map_err(|e| bad(&e))?;
    let author = commit.author().map_err(|e| bad(&e))?;
    let (seconds, offset) = author
        .time()
        .map(|t| (t.seconds, t.offset / 60))
        .unwrap_or((0, 0));
    let summary = summary(commit.message_raw_sloppy());
    Ok(CommitInfo {
        commit: id.to_string(),
        author: String::from_utf8_lossy(author.name).into_owned(),
        email: String::from_utf8_lossy(author.email).into_owned(),
        date: crate::model::format_time(seconds, offset),
        summary: String::from_utf8_lossy(&summary).into_owned(),
        order,
    })
}

/// A commit message's summary as git shows it: the first paragraph (leading
/// blank lines skipped), its line breaks and surrounding whitespace folded
/// into single spaces.
fn summary(message: &[u8]) -> Vec<u8> {
    let start = message.iter().take_while(|&&b| b == b'\n').count();
    let msg = &message[start..];
    let mut out = Vec::new();
    let mut space: Option<usize> = None;
    let mut i = 0;
    while i < msg.len() {
        let c = msg[i];
        if c == b'\n' && msg.get(i + 1).is_none_or(|&n| n == b'\n') {
            break;
        } else if c.is_ascii_whitespace() {
            space.get_or_insert(i);
        } else {
            if let Some(s) = space.take().filter(|_| !out.is_empty()) {
                if msg[s..i].contains(&b'\n') {
                    out.push(b' ');
                } else {
                    out.extend_from_slice(&msg[s..i]);
                }
            }
            out.push(c);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summaries_fold_the_first_paragraph() {
        assert_eq!(summary(b"add keys\n\nbody"), b"add keys");
        assert_eq!(
            summary(b"\n\nfirst line\n  second\n\nrest"),
            b"first line second"
        );
        assert_eq!(summary(b"  lead  and  trail  \n"), b"lead  and  trail");
        assert_eq!(summary(b""), b"");
    }
}
