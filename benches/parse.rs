//! How long reading one message takes: a command in the grammar, a
//! sentence read by `src/command/natural/`, and chatter that has no
//! reading (it goes through every check before it is left unknown).
//!
//! Run: `cargo bench --bench parse`

use criterion::{criterion_group, criterion_main, Criterion};
use dealwatch::command::parse;
use std::hint::black_box;

const COMMANDS: &[&str] = &[
    "watch https://shop.example/p/1 below £40",
    "alert gaming pc -mac under 800",
    "quiet 22:00-07:00",
    "pause 3",
    "list",
    "digest daily 08:00",
];

const SENTENCES: &[&str] = &[
    "tell me when https://www.argos.co.uk/product/4667999 drops below £30",
    "ping me about cheap 4K TVs under £500 but not Samsung",
    "what am I watching?",
    "stop watching 2",
    "no messages after 11pm",
    "send me one summary every morning",
    "I'm in Berlin",
    "pause everything",
];

const SENTENCES_DE_FR: &[&str] = &[
    "sag mir bescheid, wenn https://www.otto.de/p/1 unter 30 € fällt",
    "benachrichtige mich über günstige ps5 angebote unter 400 €",
    "welche alarme habe ich?",
    "keine nachrichten zwischen 22 und 7 uhr",
    "préviens-moi quand https://www.fnac.com/a1 passe sous 30 €",
    "je cherche des écouteurs pas chers",
    "mets 2 en pause",
    "un résumé hebdomadaire le vendredi",
];

/// Probably a search, not said: offered as a button.
const UNCLEAR: &[&str] = &["ps5 under 400", "günstige kopfhörer", "promo lego"];

const CHATTER: &[&str] = &[
    "thanks but where is my order",
    "how are you?",
    "this bot is rubbish",
    "can you find cheaper prices somewhere",
];

fn bench(c: &mut Criterion) {
    for (name, set) in [
        ("command", COMMANDS),
        ("sentence", SENTENCES),
        ("German or French sentence", SENTENCES_DE_FR),
        ("search offered as a button", UNCLEAR),
        ("chatter", CHATTER),
    ] {
        c.bench_function(&format!("parse a {name} (per message)"), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % set.len();
                black_box(parse(black_box(set[i])))
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
