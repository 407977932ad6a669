//! Object reads for history scans, through gitoxide's object store.
//!
//! libgit2 serialises pack reads behind one lock per pack and inflates with
//! stock zlib; gitoxide gives every worker its own handle (its own delta-base
//! cache, no shared lock) and inflates with zlib-rs. Reading every blob of a
//! 1 GB history takes about half as long this way (bench/, README
//! "Performance"). Refs, the commit walk's order, ranges and the index stay
//! with libgit2; this module only turns object ids into bytes.
//!
//! Memory: packs are memory-mapped, and every page a scan touches stays in
//! the process's resident set until it is unmapped, so reading a 2 GB pack
//! end to end would make a 2 GB process. After every [`RELEASE_EVERY`] bytes
//! read, the pack pages are dropped from the resident set (they stay in the
//! page cache; touching one again is a minor fault), which keeps peak memory
//! flat however large the history.

use super::SourceError;
use gix_hash::{oid, ObjectId};
use gix_object::{CommitRef, CommitRefIter, Find, Kind};
use gix_odb::HeaderExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Object bytes read between two releases of mapped pack pages.
const RELEASE_EVERY: u64 = 8 << 20;

/// The repository's object store, shared by every worker.
#[derive(Clone)]
pub(crate) struct ObjectStore {
    store: Arc<gix_odb::Store>,
    resident: Arc<Resident>,
}

/// Bytes read since mapped pack pages were last released.
#[derive(Debug, Default)]
struct Resident {
    since_release: AtomicU64,
    releasing: Mutex<()>,
}

impl Resident {
    /// Count `bytes` read; past the threshold, release the pack pages (one
    /// worker at a time; the others go on reading).
    fn note(&self, bytes: u64) {
        let total = self.since_release.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if total < RELEASE_EVERY {
            return;
        }
        if let Ok(_guard) = self.releasing.try_lock() {
            self.since_release.store(0, Ordering::Relaxed);
            release_pack_pages();
        }
    }
}

/// Drop this process's resident pages of memory-mapped pack files and their
/// indexes.
///
/// Only read-only mappings of `*.pack` and `*.idx` files are touched. For those,
/// `MADV_DONTNEED` discards nothing: the page tables forget the pages, which
/// stay in the page cache, and the next access (from any thread, even one
/// reading that page right now) maps them in again.
#[cfg(target_os = "linux")]
pub(crate) fn release_pack_pages() {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for line in maps.lines() {
        // start-end perms offset dev inode path
        let mut fields = line.split_ascii_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some(path) = fields.nth(3) else {
            continue;
        };
        if !(path.ends_with(".pack") || path.ends_with(".idx")) || perms.contains('w') {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue;
        };
        if end <= start {
            continue;
        }
        // SAFETY: the range is a whole, page-aligned, read-only file mapping
        // of this process (from /proc/self/maps). MADV_DONTNEED on such a
        // mapping does not change its contents: later reads fault the same
        // file pages back in. Nothing unmaps a pack while this runs: readers
        // prevent pack unloading, and libgit2's mappings live as long as the
        // repository handle, which is dropped only between phases, when no
        // reader is reading.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
        }
    }
}

/// Elsewhere the resident set is left to the operating system.
#[cfg(not(target_os = "linux"))]
pub(crate) fn release_pack_pages() {}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore").finish_non_exhaustive()
    }
}

impl ObjectStore {
    /// The object store of the repository whose git directory is `git_dir`
    /// (alternates included).
    pub fn open(git_dir: &Path) -> Result<Self, SourceError> {
        let objects = git_dir.join("objects");
        let store = gix_odb::Store::at_opts(
            objects.clone(),
            gix_hash::Kind::Sha1,
            &mut std::iter::empty(),
            gix_odb::store::init::Options::default(),
        )
        .map_err(|e| SourceError::Git(format!("{}: {e}", objects.display())))?;
        Ok(ObjectStore {
            store: Arc::new(store),
            resident: Arc::default(),
        })
    }

    /// A reader for one worker, caching up to `delta_bases` bytes of
    /// decoded delta bases. Every decoded object is kept there under its pack
    /// offset, so a chain of deltas read newest object first (the base, then
    /// what is a delta of it) costs one delta each, not the whole chain.
    pub fn reader(&self, delta_bases: usize) -> Reader {
        let mut handle = self.store.to_handle_arc();
        // Packs stay mapped while any reader lives, even if `git gc` deletes
        // them meanwhile: reads go on, and `release_pack_pages` never meets a
        // pack unmapped under it.
        handle.prevent_pack_unload();
        let mut odb: gix_odb::HandleArc = gix_odb::Cache::from(handle);
        let bytes = delta_bases.max(1);
        odb.set_pack_cache(move || Box::new(gix_pack::cache::lru::MemoryCappedHashmap::new(bytes)));
        odb.unset_object_cache();
        Reader {
            odb,
            spare: Vec::new(),
            resident: self.resident.clone(),
        }
    }
}

/// One worker's view of the object store, with reusable buffers.
pub(crate) struct Reader {
    odb: gix_odb::HandleArc,
    /// Buffers to reuse (tree reads nest as deep as the tree).
    spare: Vec<Vec<u8>>,
    resident: Arc<Resident>,
}

/// What the walk needs of a commit (its author and message are read only
/// for commits that end up in findings).
#[derive(Debug)]
pub(crate) struct CommitMeta {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    /// Committer time, seconds since the epoch.
    pub commit_time: i64,
}

impl Reader {
    /// Read `id` into `buf` (replacing its contents); its kind. A missing
    /// object is an error: history scans fail closed.
    pub fn read_into(&mut self, id: &oid, buf: &mut Vec<u8>) -> Result<Kind, SourceError> {
        self.try_read(id, buf)?
            .ok_or_else(|| SourceError::object(&id, "missing"))
    }

    /// Read `id` into `buf` (replacing its contents); its kind, or `None`
    /// when the store has no such object.
    fn try_read(&mut self, id: &oid, buf: &mut Vec<u8>) -> Result<Option<Kind>, SourceError> {
        let found = self
            .odb
            .try_find(id, buf)
            .map_err(|e| SourceError::object(&id, e.to_string()))?;
        let Some(data) = found else {
            return Ok(None);
        };
        let (kind, start, len) = (data.kind, data.data.as_ptr() as usize, data.data.len());
        // The data borrows `buf`; make it the whole of `buf`.
        let offset = start.saturating_sub(buf.as_ptr() as usize);
        if offset > 0 {
            buf.copy_within(offset..offset + len, 0);
        }
        buf.truncate(len);
        self.resident.note(len as u64);
        Ok(Some(kind))
    }

    /// The object's size without inflating it.
    pub fn size(&self, id: &oid) -> Result<u64, SourceError> {
        self.odb
            .header(id)
            .map(|h| h.size())
            .map_err(|e| SourceError::object(&id, e.to_string()))
    }

    /// A buffer from the spare list.
    pub fn buffer(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    /// An empty buffer from the spare list (an empty tree).
    pub fn buffer_empty(&mut self) -> Vec<u8> {
        let mut buf = self.buffer();
        buf.clear();
        buf
    }

    /// Give a buffer back for reuse.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        self.spare.push(buf);
    }

    /// Read the tree `id` into a spare buffer.
    pub fn tree(&mut self, id: &oid) -> Result<Vec<u8>, SourceError> {
        let mut buf = self.buffer();
        match self.read_into(id, &mut buf)? {
            Kind::Tree => Ok(buf),
            other => Err(SourceError::object(
                &id,
                format!("is a {other}, expected a tree"),
            )),
        }
    }

    /// The tree of commit `id`, or `None` when the commit is absent (the
    /// boundary of a shallow clone).
    pub fn commit_tree(&mut self, id: &oid) -> Result<Option<ObjectId>, SourceError> {
        let mut buf = self.buffer();
        let tree = match self.try_read(id, &mut buf) {
            Ok(Some(Kind::Commit)) => CommitRefIter::from_bytes(&buf, gix_hash::Kind::Sha1)
                .tree_id()
                .map(Some)
                .map_err(|e| SourceError::object(&id, e.to_string())),
            Ok(Some(other)) => Err(SourceError::object(
                &id,
                format!("is a {other}, expected a commit"),
            )),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        self.recycle(buf);
        tree
    }

    /// Read and parse the commit `id`.
    pub fn commit(&mut self, id: &oid) -> Result<CommitMeta, SourceError> {
        let mut buf = self.buffer();
        let kind = self.read_into(id, &mut buf)?;
        let bad = |e: &dyn std::fmt::Display| SourceError::object(&id, e.to_string());
        if kind != Kind::Commit {
            return Err(bad(&format!("is a {kind}")));
        }
        let meta = {
            let commit = CommitRef::from_bytes(&buf, gix_hash::Kind::Sha1).map_err(|e| bad(&e))?;
            CommitMeta {
                tree: commit.tree(),
                parents: commit.parents().collect(),
                commit_time: commit.time().map_err(|e| bad(&e))?.seconds,
            }
        };
        self.recycle(buf);
        Ok(meta)
    }
}

/// An id for gitoxide from a libgit2 one.
pub(crate) fn to_gix(id: git2::Oid) -> ObjectId {
    ObjectId::from_bytes_or_panic(id.as_bytes())
}

/// A libgit2 id from a gitoxide one.
pub(crate) fn to_git2(id: &oid) -> git2::Oid {
    git2::Oid::from_bytes(id.as_bytes()).unwrap_or_else(|_| git2::Oid::zero())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Resident kB of the mapping that starts at `addr` (/proc/self/smaps).
    fn resident_kb(addr: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut lines = smaps.lines();
        while let Some(line) = lines.next() {
            let start = line.split('-').next().unwrap_or("");
            if usize::from_str_radix(start, 16) == Ok(addr) {
                for l in lines.by_ref() {
                    if let Some(rss) = l.strip_prefix("Rss:") {
                        return rss.trim().trim_end_matches(" kB").trim().parse().unwrap();
                    }
                }
            }
        }
        panic!("mapping at {addr:#x} not found");
    }

    #[test]
    fn released_pack_pages_leave_the_resident_set_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pack-test.pack");
        let content: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: the file is ours and not modified while mapped.
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        let sum: u64 = map.iter().map(|&b| u64::from(b)).sum();
        let addr = map.as_ptr() as usize;
        assert!(resident_kb(addr) >= 7 << 10, "pages were touched");
        release_pack_pages();
        assert!(resident_kb(addr) < 1 << 10, "pages were released");
        assert_eq!(map.iter().map(|&b| u64::from(b)).sum::<u64>(), sum);
        assert!(map[..] == content[..]);
    }
}
