//! `.keysweep.toml` parsing: `FileConfig::parse`, what `FileConfig::load`
//! runs on a file's text.
#![no_main]

use keysweep::config::FileConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = FileConfig::parse(text, "fuzz.toml") {
        let _ = cfg.origin_name();
    }
});
