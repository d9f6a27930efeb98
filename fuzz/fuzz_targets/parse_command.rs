//! Fuzz the text entry points: whatever bytes arrive, parsing a command, a
//! price or a URL must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = dealwatch::command::parse(&text);
    let _ = dealwatch::money::parse_price(&text);
    let _ = dealwatch::urls::canonicalize(&text);
    let _ = dealwatch::urls::refusal(&text);
});
