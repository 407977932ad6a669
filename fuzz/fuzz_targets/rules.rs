//! Rules-file parsing and validation (`keysweep rules check FILE`): TOML,
//! regex compilation, example templates, then every rule's own examples.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rules) = keysweep::rules::parse("fuzz.toml", text) {
        let _ = keysweep::rulecheck::check(&rules);
    }
});
