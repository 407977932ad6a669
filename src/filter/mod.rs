//! Filters: findings the user has already reviewed and silenced.
//!
//! Today that is the inline `keysweep:allow` marker: a comment on the same line
//! as a match suppresses every finding on that line. Suppressed findings are
//! counted, never dropped silently; the summary says how many and by what.

/// The inline marker.
pub const ALLOW_MARKER: &[u8] = b"keysweep:allow";

/// True when `line` carries the inline allow marker.
pub fn inline_allowed(line: &[u8]) -> bool {
    memchr::memmem::find(line, ALLOW_MARKER).is_some()
}

#[cfg(test)]
mod tests {
    #[test]
    fn marker_anywhere_on_the_line() {
        assert!(super::inline_allowed(b"k = 'v' # keysweep:allow reviewed"));
        assert!(!super::inline_allowed(b"k = 'v' # keysweep allow"));
    }
}
