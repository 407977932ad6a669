//! Archives and compressed files, opened in memory and bounded.
//!
//! Binary content whose first bytes say it is a zip (jar, war, whl, apk,
//! nupkg, docx and xlsx are zips), a tar, or a gzip, bzip2, xz or zstd
//! stream is opened, and what it holds is scanned like a file of its own:
//! zip and tar members at `archive!member` paths (nested members add more
//! `!` segments), a compressed stream at the compressed file's own path.
//! Every limit hit (depth, entries, member size, total inflated bytes,
//! compression ratio) and every member that cannot be opened (encrypted,
//! corrupt) is recorded as a skipped file with the reason, never passed
//! over silently.
//!
//! The compression ratio is held twice: per member (over 1 MiB), and for
//! the outermost archive as a whole, whose members may inflate together to
//! at most `max_ratio` times its own size (never less than 1 MiB). The
//! second bound is what keeps the work linear in the archive's size: 400
//! members of 1 KiB that each inflate to 1 MiB of one byte are each under
//! the per-member floor, but a 400 KiB archive inflates to 40 MiB, not
//! 400 MiB (and the `total` budget stops it short of 256 MiB either way).

use super::{Blob, Place, SourceStats};
use crate::model::SkipReason;
use std::cell::Cell;
use std::io::{Cursor, Read};
use std::sync::Arc;

/// How far archives are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Archives opened inside one another, at most (0: none are opened).
    pub depth: u32,
    /// Members (zip and tar entries) one outermost archive may hold.
    pub max_entries: u64,
    /// Inflated bytes of one member, at most.
    pub max_member: u64,
    /// Inflated bytes of everything one outermost archive holds, at most.
    pub max_total: u64,
    /// Inflated bytes per compressed byte, at most (a zip-bomb guard;
    /// members under 1 MiB are not held to it).
    pub max_ratio: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            depth: 3,
            max_entries: 10_000,
            max_member: 25 << 20,
            max_total: 256 << 20,
            max_ratio: 100,
        }
    }
}

/// Members under this size are never held to the compression ratio.
const RATIO_FLOOR: u64 = 1 << 20;

/// What the first bytes say the content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

fn sniff(data: &[u8]) -> Option<Kind> {
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        Some(Kind::Zip)
    } else if data.starts_with(&[0x1f, 0x8b]) {
        Some(Kind::Gzip)
    } else if data.starts_with(b"BZh") {
        Some(Kind::Bzip2)
    } else if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Kind::Xz)
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Kind::Zstd)
    } else if data.len() >= 262 && &data[257..262] == b"ustar" {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// True when the first bytes say `data` is an archive or compressed file
/// this module opens.
pub(super) fn is_archive(data: &[u8]) -> bool {
    sniff(data).is_some()
}

/// What one outermost archive may still inflate.
struct Budget {
    entries: Cell<u64>,
    bytes: Cell<u64>,
    /// The archive-wide ratio bound, when it is below `max_total`.
    ratio_cap: Option<u64>,
}

/// One opening: the limits, what is left of the budget, and where results go.
struct Opener<'a> {
    limits: ArchiveLimits,
    budget: Budget,
    stats: &'a SourceStats,
    visit: &'a (dyn Fn(&Blob<'_>) + Sync),
}

/// Open `data` when it is an archive or compressed file (and the limits
/// allow opening any), scanning what it holds. False when it is not one:
/// the caller accounts for it as binary content.
pub(super) fn open(
    data: &[u8],
    places: &[Place],
    stats: &SourceStats,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) -> bool {
    let limits = stats.archive_limits();
    let Some(kind) = sniff(data) else {
        return false;
    };
    if limits.depth == 0 || places.is_empty() {
        return false;
    }
    let by_ratio = (data.len() as u64)
        .saturating_mul(limits.max_ratio)
        .max(RATIO_FLOOR);
    let opener = Opener {
        limits,
        budget: Budget {
            entries: Cell::new(limits.max_entries),
            bytes: Cell::new(limits.max_total.min(by_ratio)),
            ratio_cap: (by_ratio < limits.max_total).then_some(by_ratio),
        },
        stats,
        visit,
    };
    let places: Vec<Place> = places
        .iter()
        .map(|p| Place {
            archive: Some(
                p.archive
                    .clone()
                    .unwrap_or_else(|| Arc::from(p.path.as_str())),
            ),
            ..p.clone()
        })
        .collect();
    stats.scanned(data.len() as u64);
    opener.open(kind, data, &places, 1);
    true
}

impl Opener<'_> {
    fn note(&self, places: &[Place], note: String) {
        if let Some(p) = places.first() {
            self.stats
                .skip(p.path.clone(), SkipReason::Archive { note });
        }
    }

    /// Open an archive at nesting level `level` (1: the outermost).
    fn open(&self, kind: Kind, data: &[u8], places: &[Place], level: u32) {
        match kind {
            Kind::Zip => self.zip(data, places, level),
            Kind::Tar => self.tar(data, places, level),
            Kind::Gzip => {
                let r = flate2::read::MultiGzDecoder::new(data);
                self.stream(r, "gzip", data.len() as u64, places, level);
            }
            Kind::Bzip2 => {
                let r = bzip2::read::MultiBzDecoder::new(data);
                self.stream(r, "bzip2", data.len() as u64, places, level);
            }
            Kind::Xz => {
                let r = lzma_rust2::XzReader::new(data, true);
                self.stream(r, "xz", data.len() as u64, places, level);
            }
            Kind::Zstd => match ruzstd::decoding::StreamingDecoder::new(data) {
                Ok(r) => self.stream(r, "zstd", data.len() as u64, places, level),
                Err(e) => self.note(places, format!("corrupt zstd stream: {e}")),
            },
        }
    }

    /// A compressed stream: its content is scanned at the same path.
    fn stream(&self, r: impl Read, format: &str, packed: u64, places: &[Place], level: u32) {
        if let Some(content) = self.inflate(r, packed, places, format) {
            self.content(&content, places, level, true);
        }
    }

    fn zip(&self, data: &[u8], places: &[Place], level: u32) {
        let mut zip = match zip::ZipArchive::new(Cursor::new(data)) {
            Ok(z) => z,
            Err(e) => return self.note(places, format!("corrupt zip: {e}")),
        };
        for i in 0..zip.len() {
            let mut entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    self.note(places, format!("zip entry {i} unreadable: {e}"));
                    continue;
                }
            };
            if entry.is_dir() || entry.is_symlink() {
                continue;
            }
            let name = entry
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("entry-{i}"));
            let inner = member_places(places, &name);
            if !self.take_entry(&inner) {
                return;
            }
            if entry.encrypted() {
                self.note(&inner, "encrypted".to_string());
                continue;
            }
            let packed = entry.compressed_size();
            if let Some(content) = self.inflate(&mut entry, packed, &inner, "zip member") {
                self.content(&content, &inner, level, false);
            }
        }
    }

    fn tar(&self, data: &[u8], places: &[Place], level: u32) {
        let mut tar = tar::Archive::new(data);
        let entries = match tar.entries() {
            Ok(e) => e,
            Err(e) => return self.note(places, format!("corrupt tar: {e}")),
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => return self.note(places, format!("corrupt tar: {e}")),
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry.path_bytes();
            let name = crate::model::display_path_bytes(&name);
            let inner = member_places(places, &name);
            if !self.take_entry(&inner) {
                return;
            }
            let size = entry.size();
            // A tar stores members as they are: no ratio to guard.
            if let Some(content) = self.inflate(&mut entry, size, &inner, "tar member") {
                self.content(&content, &inner, level, false);
            }
        }
    }

    /// Count one member against the entry budget; false once it is spent.
    fn take_entry(&self, places: &[Place]) -> bool {
        let left = self.budget.entries.get();
        if left == 0 {
            self.note(
                places,
                format!(
                    "entry limit reached ({} members per archive); this and later members not opened",
                    self.limits.max_entries
                ),
            );
            return false;
        }
        self.budget.entries.set(left - 1);
        true
    }

    /// Read a member or stream whole, within the member, total and ratio
    /// limits; `None` (with the reason recorded) when one is reached or the
    /// data is corrupt.
    fn inflate(&self, r: impl Read, packed: u64, places: &[Place], what: &str) -> Option<Vec<u8>> {
        let ratio_cap = packed
            .saturating_mul(self.limits.max_ratio)
            .max(RATIO_FLOOR);
        let total_left = self.budget.bytes.get();
        let cap = self.limits.max_member.min(ratio_cap).min(total_left);
        let mut out = Vec::new();
        let read = r.take(cap.saturating_add(1)).read_to_end(&mut out);
        if let Err(e) = read {
            self.note(places, format!("corrupt {what}: {e}"));
            return None;
        }
        let n = out.len() as u64;
        if n > cap {
            // The archive's budget, when it is what ran out.
            let note = if cap < self.limits.max_member.min(ratio_cap) {
                match self.budget.ratio_cap {
                    Some(whole) => format!(
                        "archive compression ratio over {}:1 (its members inflate past {} in all): a zip bomb?",
                        self.limits.max_ratio,
                        human(whole)
                    ),
                    None => format!(
                        "total limit reached ({} inflated per archive)",
                        human(self.limits.max_total)
                    ),
                }
            } else if cap == self.limits.max_member {
                format!("member larger than {}", human(self.limits.max_member))
            } else {
                format!(
                    "compression ratio over {}:1 ({} from {} bytes): a zip bomb?",
                    self.limits.max_ratio,
                    human(cap),
                    packed
                )
            };
            self.budget.bytes.set(total_left.saturating_sub(cap));
            self.note(places, note);
            return None;
        }
        self.budget.bytes.set(total_left - n);
        Some(out)
    }

    /// Scan inflated content: text is visited, archives are opened one
    /// level deeper (within the depth limit; a tar inside a compressed
    /// stream, `.tar.gz`, is one level), other binary is accounted for.
    fn content(&self, data: &[u8], places: &[Place], level: u32, from_stream: bool) {
        match super::decode(data) {
            super::Decoded::Text(text) => {
                self.stats.scanned(data.len() as u64);
                (self.visit)(&Blob {
                    data: &text,
                    places,
                    strings: false,
                });
            }
            super::Decoded::Binary => match sniff(data) {
                Some(Kind::Tar) if from_stream => self.tar(data, places, level),
                Some(kind) if level < self.limits.depth => {
                    self.open(kind, data, places, level + 1);
                }
                Some(_) => self.note(
                    places,
                    format!("depth limit reached ({} archives deep)", self.limits.depth),
                ),
                None => self.stats.binary(data, places, &String::new, self.visit),
            },
        }
    }
}

/// The places of a member: each archive place with `!name` appended.
fn member_places(places: &[Place], name: &str) -> Vec<Place> {
    places
        .iter()
        .map(|p| Place {
            path: format!("{}!{}", p.path, name),
            provenance: p.provenance.clone(),
            added_lines: None,
            archive: p.archive.clone(),
        })
        .collect()
}

fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_magic_bytes() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Kind::Zip));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Kind::Gzip));
        assert_eq!(sniff(b"BZh91AY"), Some(Kind::Bzip2));
        assert_eq!(sniff(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0]), Some(Kind::Xz));
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Some(Kind::Zstd));
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Some(Kind::Tar));
        assert_eq!(sniff(b"\x00\x01binary"), None);
        assert_eq!(sniff(b"PK"), None);
    }

    fn zip_of(n: usize, size: usize) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..n {
            w.start_file(format!("m{i}.txt"), opts).unwrap();
            w.write_all(&vec![b'x'; size]).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// Open `data` under `limits`; the member paths visited and the notes.
    fn run(data: &[u8], limits: ArchiveLimits) -> (Vec<String>, Vec<String>) {
        let stats = SourceStats::new(limits);
        let seen = std::sync::Mutex::new(Vec::new());
        let places = [Place::file("a.zip".to_string())];
        assert!(open(data, &places, &stats, &|b: &Blob<'_>| {
            seen.lock().unwrap().push(b.places[0].path.clone())
        }));
        let notes = stats
            .skipped_for_tests()
            .into_iter()
            .map(|s| match s.reason {
                SkipReason::Archive { note } => format!("{}: {note}", s.path),
                other => format!("{}: {}", s.path, other.label()),
            })
            .collect();
        (seen.into_inner().unwrap(), notes)
    }

    #[test]
    fn entry_limit_stops_the_archive_and_says_so() {
        let limits = ArchiveLimits {
            max_entries: 2,
            ..ArchiveLimits::default()
        };
        let (seen, notes) = run(&zip_of(5, 10), limits);
        assert_eq!(seen, ["a.zip!m0.txt", "a.zip!m1.txt"]);
        assert_eq!(
            notes,
            ["a.zip!m2.txt: entry limit reached (2 members per archive); this and later members not opened"]
        );
    }

    #[test]
    fn total_limit_is_shared_by_all_members() {
        let limits = ArchiveLimits {
            max_total: 2500,
            ..ArchiveLimits::default()
        };
        let (seen, notes) = run(&zip_of(4, 1000), limits);
        assert_eq!(seen, ["a.zip!m0.txt", "a.zip!m1.txt"]);
        assert_eq!(
            notes,
            [
                "a.zip!m2.txt: total limit reached (2500 bytes inflated per archive)",
                "a.zip!m3.txt: total limit reached (2500 bytes inflated per archive)"
            ]
        );
    }

    /// Many members under the per-member ratio floor still add up to no
    /// more than the archive's own ratio allows; the rest are listed.
    #[test]
    fn the_archive_as_a_whole_is_held_to_the_ratio() {
        use std::io::Write;
        let deflated = |n: usize, size: usize| {
            let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            let member = vec![b'a'; size];
            for i in 0..n {
                w.start_file(format!("m{i:03}.txt"), opts).unwrap();
                w.write_all(&member).unwrap();
            }
            w.finish().unwrap().into_inner()
        };
        let data = deflated(400, 1 << 20);
        let (seen, notes) = run(&data, ArchiveLimits::default());
        // Each member is 1 MiB: as many as 100 times the archive holds.
        let fit = data.len() * 100 / (1 << 20);
        assert_eq!(seen.len(), fit, "{} bytes", data.len());
        assert_eq!(seen.len() + notes.len(), 400);
        let whole = human(data.len() as u64 * 100);
        assert_eq!(
            notes[0],
            format!(
                "a.zip!m{fit:03}.txt: archive compression ratio over 100:1 (its members inflate past {whole} in all): a zip bomb?"
            )
        );
        // A small archive may still inflate to 1 MiB.
        let small = deflated(3, 300_000);
        assert!(small.len() * 100 < 900_000);
        let (seen, notes) = run(&small, ArchiveLimits::default());
        assert_eq!((seen.len(), notes.len()), (3, 0));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(25 << 20), "25 MiB");
        assert_eq!(human(4096), "4 KiB");
        assert_eq!(human(1000), "1000 bytes");
        assert_eq!(human(3 << 19), "1.5 MiB");
    }
}
