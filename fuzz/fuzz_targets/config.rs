//! `.keysweep.toml` parsing. keysweep has no public `FileConfig::parse(text)`;
//! `FileConfig::load(path)` reads the file and deserializes it with
//! `toml::from_str`, which is what this target does (without the file I/O).
#![no_main]

use keysweep::config::FileConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = toml::from_str::<FileConfig>(text) {
        let _ = cfg.origin_name();
    }
});
