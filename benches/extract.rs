//! Extraction throughput on the fixture corpus, and the nesting guard
//! against the naive approach (parsing a hostile page as it comes).
//!
//! Run: `cargo bench --bench extract`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dealwatch::extract::{bound_nesting, extract, SiteRules};
use std::hint::black_box;

fn corpus() -> Vec<(String, url::Url)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/shop");
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    pages.sort();
    pages
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let url = url::Url::parse(&format!("https://www.outdoor.test/{name}")).unwrap();
            (std::fs::read_to_string(&p).unwrap(), url)
        })
        .collect()
}

fn bench_corpus(c: &mut Criterion) {
    let pages = corpus();
    let rules = SiteRules::from_toml(include_str!("../sites.toml")).unwrap();
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Elements(pages.len() as u64));
    group.bench_function(format!("fixture corpus ({} pages)", pages.len()), |b| {
        b.iter(|| {
            for (html, url) in &pages {
                black_box(extract(black_box(html), url, &rules));
            }
        })
    });
    group.finish();
}

fn bench_hostile(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile nesting");
    group.sample_size(10);
    for depth in [2_000usize, 5_000, 10_000] {
        let page = "<div>".repeat(depth);
        group.bench_with_input(
            BenchmarkId::new("naive: parse as is", depth),
            &page,
            |b, page| b.iter(|| black_box(scraper::Html::parse_document(black_box(page)))),
        );
        group.bench_with_input(
            BenchmarkId::new("guarded: bound_nesting then parse", depth),
            &page,
            |b, page| {
                b.iter(|| {
                    black_box(scraper::Html::parse_document(bound_nesting(black_box(
                        page,
                    ))))
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_corpus, bench_hostile);
criterion_main!(benches);
