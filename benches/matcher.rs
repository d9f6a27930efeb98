//! The indexed rule matcher against the plain scan (`rules::matches` over
//! every rule), with 1,000,000 rules of realistic shape, in the same run;
//! and the index's memory per rule, counted by a wrapping allocator.
//!
//! Run: `cargo bench --bench matcher` (`DEALWATCH_BENCH_RULES` changes the
//! rule count).
//!
//! Shape: 1-3 words per rule from a 50,000-term vocabulary (product words,
//! brands, model names), skewed (the square of a uniform draw) so common
//! words ("laptop", "tv", "lego") are used far more than model numbers; a quarter with exclusions; most with a maximum price, some a
//! minimum; a tenth with a category, a score or a condition. Deal titles
//! are 5-10 terms drawn the same way.

use criterion::{criterion_group, criterion_main, Criterion};
use dealwatch::command::RuleSpec;
use dealwatch::matcher::RuleIndex;
use dealwatch::model::Condition;
use dealwatch::money::{Currency, Money, PriceSpec};
use dealwatch::rules::{matches, DealFacts};
use rust_decimal::Decimal;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes, to measure what the index holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const COMMON: &[&str] = &[
    "laptop",
    "tv",
    "lego",
    "headphones",
    "ssd",
    "monitor",
    "phone",
    "tablet",
    "camera",
    "kettle",
    "vacuum",
    "chair",
    "desk",
    "keyboard",
    "mouse",
    "router",
    "speaker",
    "watch",
    "drone",
    "printer",
    "console",
    "controller",
    "charger",
    "cable",
    "blender",
    "toaster",
    "mattress",
    "sofa",
    "lamp",
    "drill",
    "bike",
    "tent",
    "jacket",
    "trainers",
    "boots",
    "perfume",
    "coffee",
    "nappies",
    "whisky",
    "gin",
    "oled",
    "qled",
    "4k",
    "gaming",
    "wireless",
    "bluetooth",
    "usb-c",
    "nvme",
    "ryzen",
    "intel",
    "rtx",
    "airpods",
    "ipad",
    "macbook",
    "pixel",
    "galaxy",
    "xbox",
    "ps5",
    "switch",
    "dyson",
    "bosch",
    "samsung",
    "sony",
    "lg",
    "apple",
    "anker",
    "logitech",
];

fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = COMMON.iter().map(|w| (*w).to_owned()).collect();
    let mut n = 0;
    while words.len() < 50_000 {
        n += 1;
        words.push(match n % 3 {
            0 => format!("x{n}"),
            1 => format!("model{n}"),
            _ => format!("series{n}"),
        });
    }
    words
}

/// A skewed pick: low indices (common words) far more often.
fn pick<'a>(rng: &mut fastrand::Rng, vocab: &'a [String]) -> &'a str {
    let u = rng.f64();
    let i = ((u * u) * vocab.len() as f64) as usize;
    &vocab[i.min(vocab.len() - 1)]
}

fn gbp(pounds: u32) -> PriceSpec {
    PriceSpec {
        amount: Decimal::from(pounds),
        currency: if pounds.is_multiple_of(7) {
            Some(Currency::GBP)
        } else {
            None
        },
    }
}

fn rules(n: usize, vocab: &[String], rng: &mut fastrand::Rng) -> Vec<RuleSpec> {
    (0..n)
        .map(|_| {
            let words = (0..rng.usize(1..=3))
                .map(|_| pick(rng, vocab).to_owned())
                .collect();
            let excluded = if rng.u8(0..4) == 0 {
                (0..rng.usize(1..=2))
                    .map(|_| pick(rng, vocab).to_owned())
                    .collect()
            } else {
                Vec::new()
            };
            RuleSpec {
                words,
                excluded,
                max_price: (rng.u8(0..10) < 6).then(|| gbp(rng.u32(20..2000))),
                min_price: (rng.u8(0..100) < 15).then(|| gbp(rng.u32(1..20))),
                category: (rng.u8(0..10) == 0)
                    .then(|| ["computers", "home", "toys", "garden"][rng.usize(0..4)].to_owned()),
                min_score: (rng.u8(0..10) == 0).then(|| Decimal::new(i64::from(rng.u8(1..9)), 1)),
                condition: (rng.u8(0..20) == 0).then_some(Condition::New),
                via: None,
            }
        })
        .collect()
}

struct Deal {
    title: String,
    price: Money,
    category: &'static str,
    score: Decimal,
}

fn deals(n: usize, vocab: &[String], rng: &mut fastrand::Rng) -> Vec<Deal> {
    (0..n)
        .map(|_| Deal {
            title: (0..rng.usize(5..=10))
                .map(|_| pick(rng, vocab))
                .collect::<Vec<_>>()
                .join(" "),
            price: Money::new(
                Decimal::new(i64::from(rng.u32(500..200_000)), 2),
                Currency::GBP,
            ),
            category: ["Computers", "Home & Garden", "Toys"][rng.usize(0..3)],
            score: Decimal::new(i64::from(rng.u8(0..10)), 1),
        })
        .collect()
}

fn facts(deal: &Deal) -> DealFacts<'_> {
    DealFacts {
        title: &deal.title,
        price: Some(deal.price),
        category: Some(deal.category),
        condition: Some(Condition::New),
        score: Some(deal.score),
    }
}

fn bench_matcher(c: &mut Criterion) {
    let n: usize = std::env::var("DEALWATCH_BENCH_RULES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = fastrand::Rng::with_seed(7);
    let vocab = vocabulary();
    let specs = rules(n, &vocab, &mut rng);
    let sample = deals(64, &vocab, &mut rng);

    let before = LIVE.load(Ordering::Relaxed);
    let started = Instant::now();
    let index = RuleIndex::new(specs.iter().enumerate());
    let built = started.elapsed();
    let held = LIVE.load(Ordering::Relaxed) - before;
    eprintln!(
        "matcher: {n} rules indexed in {:.2} s; the index holds {:.1} MB, {:.0} bytes a rule",
        built.as_secs_f64(),
        held as f64 / 1e6,
        held as f64 / n as f64
    );
    // Both ways must agree before either is timed.
    let mut total = 0;
    for deal in sample.iter().take(4) {
        let found: Vec<usize> = index.matching(&facts(deal)).into_iter().copied().collect();
        let plain: Vec<usize> = specs
            .iter()
            .enumerate()
            .filter(|(_, r)| matches(r, &facts(deal)))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(found, plain, "the index and the scan disagree");
        total += found.len();
    }
    eprintln!("matcher: {total} matches over 4 sample deals (both ways agree)");

    let mut group = c.benchmark_group(format!("match one deal against {n} rules"));
    let mut i = 0;
    group.bench_function("indexed", |b| {
        b.iter(|| {
            i = (i + 1) % sample.len();
            black_box(index.matching(black_box(&facts(&sample[i]))).len())
        })
    });
    group.sample_size(10);
    let mut j = 0;
    group.bench_function("plain scan of every rule", |b| {
        b.iter(|| {
            j = (j + 1) % sample.len();
            let deal = facts(&sample[j]);
            black_box(specs.iter().filter(|r| matches(r, &deal)).count())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_matcher);
criterion_main!(benches);
