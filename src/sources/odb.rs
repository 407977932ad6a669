//! Object reads for history and staged scans, through gitoxide's object
//! store: every worker has its own handle (its own delta-base cache, no
//! shared lock) and inflates with zlib-rs.
//!
//! Memory: packs are memory-mapped, and every page a scan touches stays in
//! the process's resident set until it is unmapped, so reading a 2 GB pack
//! end to end would make a 2 GB process. After every [`RELEASE_EVERY`] bytes
//! read, the store's pack pages are dropped from the resident set (they
//! stay in the page cache; touching one again is a minor fault), which keeps
//! peak memory flat however large the history.
//!
//! Why that cannot change what is read (the invariant):
//! - Only mappings of files in this store's pack directories
//!   (`objects/pack` and those of its alternates), named `*.pack` or `*.idx`
//!   and mapped without write permission, are touched. `/proc/self/maps` is
//!   parsed by its fixed columns, so a path with spaces is read whole; a
//!   mapping whose file was deleted (` (deleted)`) is left alone.
//! - Pack and index files are immutable once written (git writes new ones
//!   and renames them into place). For a read-only file mapping,
//!   `MADV_DONTNEED` only drops page-table entries: the next access faults
//!   the same file bytes back in.
//! - Nothing unmaps those ranges while they are released: the store holds a
//!   handle with pack unloading prevented from [`ObjectStore::open`] until
//!   it is dropped, and releasing is a method of the store, so it can only
//!   run while that guard lives. The other gitoxide handle a scan holds, the
//!   repository's own (`Repo`, which walks commits and reads refs), maps the
//!   same pack files, so `Repo::open` prevents pack unloading on it too:
//!   every handle in the process that maps packs keeps them mapped.

/// Largest buffer kept for reuse.
const SPARE_MAX: usize = 4 << 20;

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
    /// Keeps every pack the store maps mapped for as long as the store
    /// lives (the release's invariant).
    _unload_guard: Arc<Mutex<gix_odb::store::Handle<Arc<gix_odb::Store>>>>,
}

/// Bytes read since mapped pack pages were last released, and where the
/// store's packs live (canonical paths, as `/proc/self/maps` shows them).
#[derive(Debug, Default)]
struct Resident {
    since_release: AtomicU64,
    releasing: Mutex<()>,
    pack_dirs: Vec<std::path::PathBuf>,
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
            release_pack_pages(&self.pack_dirs);
        }
    }
}

/// Drop the resident pages of memory-mapped `*.pack` and `*.idx` files under
/// `pack_dirs` (see the module comment for why this is sound).
#[cfg(target_os = "linux")]
fn release_pack_pages(pack_dirs: &[std::path::PathBuf]) {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for line in maps.lines() {
        let Some(m) = Mapping::parse(line) else {
            continue;
        };
        if m.writable || !m.is_pack_file(pack_dirs) {
            continue;
        }
        // SAFETY: the range is a whole, page-aligned, read-only mapping of an
        // immutable pack or index file of this store (from /proc/self/maps),
        // which the store's unload guard keeps mapped while this runs.
        // MADV_DONTNEED on such a mapping does not change its contents:
        // later reads fault the same file pages back in.
        unsafe {
            libc::madvise(
                m.start as *mut libc::c_void,
                m.end - m.start,
                libc::MADV_DONTNEED,
            );
        }
    }
}

/// Elsewhere the resident set is left to the operating system.
#[cfg(not(target_os = "linux"))]
fn release_pack_pages(_pack_dirs: &[std::path::PathBuf]) {}

/// One line of `/proc/self/maps`:
/// `start-end perms offset dev inode   path` (the path may hold spaces).
#[derive(Debug, PartialEq, Eq)]
struct Mapping<'a> {
    start: usize,
    end: usize,
    writable: bool,
    path: &'a str,
}

impl<'a> Mapping<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let mut rest = line;
        let mut field = || {
            let t = rest.trim_start_matches(' ');
            let end = t.find(' ').unwrap_or(t.len());
            let (f, r) = t.split_at(end);
            rest = r;
            f
        };
        let range = field();
        let perms = field();
        let (_offset, _dev, _inode) = (field(), field(), field());
        let path = rest.trim_start_matches(' ');
        let (start, end) = range.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        if end <= start || perms.len() < 2 {
            return None;
        }
        Some(Mapping {
            start,
            end,
            writable: perms.as_bytes()[1] == b'w',
            path,
        })
    }

    /// A `.pack` or `.idx` file directly in one of `dirs`, still on disk.
    fn is_pack_file(&self, dirs: &[std::path::PathBuf]) -> bool {
        if !(self.path.ends_with(".pack") || self.path.ends_with(".idx")) {
            return false; // also rules out " (deleted)"
        }
        let path = Path::new(self.path);
        path.parent().is_some_and(|p| dirs.iter().any(|d| d == p))
    }
}

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
        let store = Arc::new(store);
        let mut guard = store.to_handle_arc();
        guard.prevent_pack_unload();
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut object_dirs = vec![objects.clone()];
        object_dirs.extend(gix_odb::alternate::resolve(objects.clone(), &cwd).unwrap_or_default());
        let pack_dirs = object_dirs
            .iter()
            .filter_map(|d| d.join("pack").canonicalize().ok())
            .collect();
        Ok(ObjectStore {
            store,
            resident: Arc::new(Resident {
                pack_dirs,
                ..Resident::default()
            }),
            _unload_guard: Arc::new(Mutex::new(guard)),
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
    /// The message, when asked for (it is scanned like a file).
    pub message: Option<Vec<u8>>,
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

    /// Give a buffer back for reuse; a large one is freed instead, so one
    /// big blob does not pin its memory for the rest of the scan.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if buf.capacity() <= SPARE_MAX {
            self.spare.push(buf);
        }
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

    /// Read and parse the commit `id`; with `message`, keep its message.
    pub fn commit(&mut self, id: &oid, message: bool) -> Result<CommitMeta, SourceError> {
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
                message: message.then(|| commit.message.to_vec()),
            }
        };
        self.recycle(buf);
        Ok(meta)
    }
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

    /// Pages of a pack in the store's pack directory (whose path holds a
    /// space) leave the resident set and read back the same; a pack-named
    /// file elsewhere is left alone.
    #[test]
    fn released_pack_pages_leave_the_resident_set_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let packs = dir.path().join("with space/objects/pack");
        std::fs::create_dir_all(&packs).unwrap();
        let elsewhere = dir.path().join("other");
        std::fs::create_dir_all(&elsewhere).unwrap();
        let content: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
        let mapped = |path: &Path| {
            std::fs::write(path, &content).unwrap();
            let file = std::fs::File::open(path).unwrap();
            // SAFETY: the file is ours and not modified while mapped.
            unsafe { memmap2::Mmap::map(&file) }.unwrap()
        };
        let ours = mapped(&packs.join("pack-test.pack"));
        let theirs = mapped(&elsewhere.join("pack-other.pack"));
        let sum: u64 = ours.iter().map(|&b| u64::from(b)).sum();
        let _ = theirs.iter().map(|&b| u64::from(b)).sum::<u64>();
        let (a, b) = (ours.as_ptr() as usize, theirs.as_ptr() as usize);
        assert!(resident_kb(a) >= 7 << 10, "pages were touched");
        release_pack_pages(&[packs.canonicalize().unwrap()]);
        assert!(resident_kb(a) < 1 << 10, "pages were released");
        assert!(resident_kb(b) >= 7 << 10, "other mappings are left alone");
        assert_eq!(ours.iter().map(|&b| u64::from(b)).sum::<u64>(), sum);
        assert!(ours[..] == content[..]);
    }

    #[test]
    fn maps_lines_parse_by_column() {
        let line = "7f00a000-7f00c000 r--s 00000000 08:01 1234                       /repo with space/.git/objects/pack/pack-1.pack";
        let m = Mapping::parse(line).unwrap();
        assert_eq!(
            (m.start, m.end, m.writable),
            (0x7f00a000, 0x7f00c000, false)
        );
        assert_eq!(m.path, "/repo with space/.git/objects/pack/pack-1.pack");
        let dirs = [std::path::PathBuf::from(
            "/repo with space/.git/objects/pack",
        )];
        assert!(m.is_pack_file(&dirs));
        let deleted = format!("{line} (deleted)");
        assert!(!Mapping::parse(&deleted).unwrap().is_pack_file(&dirs));
        let rw = line.replace("r--s", "rw-s");
        assert!(Mapping::parse(&rw).unwrap().writable);
        assert!(Mapping::parse("7f00a000-7f00c000 r-xp 00000000 00:00 0")
            .unwrap()
            .path
            .is_empty());
        assert!(Mapping::parse("garbage").is_none());
    }
}
