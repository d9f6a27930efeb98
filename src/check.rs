//! Purpose: `dealwatch check URL...`: fetch (or read) pages once and print
//! what extraction finds, one JSON object a line.
//!
//! An argument that names a local file is read as a saved page, so a site
//! rule can be tried offline and extraction timed on a corpus; `--base-url`
//! gives its relative links and picks its site rule.

use crate::extract::{extract, Extraction, SiteRules};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use serde_json::json;
use std::io::Write;
use url::Url;

/// Check every input; returns how many gave a product (title or price).
pub async fn run(
    inputs: &[String],
    base_url: Option<&Url>,
    fetcher: &Fetcher,
    rules: &SiteRules,
    out: &mut impl Write,
) -> std::io::Result<usize> {
    let mut found = 0;
    for input in inputs {
        let line = match check_one(input, base_url, fetcher, rules).await {
            Ok((url, extraction)) if extraction.price.is_some() || extraction.title.is_some() => {
                found += 1;
                to_json(&url, &extraction)
            }
            Ok((url, _)) => json!({ "url": url, "error": "no product found" }),
            Err(error) => json!({ "url": input, "error": error }),
        };
        writeln!(out, "{line}")?;
    }
    Ok(found)
}

async fn check_one(
    input: &str,
    base_url: Option<&Url>,
    fetcher: &Fetcher,
    rules: &SiteRules,
) -> Result<(String, Extraction), String> {
    let path = std::path::Path::new(input);
    let is_url = input.starts_with("http://") || input.starts_with("https://");
    let (page_url, html) = if !is_url && path.is_file() {
        let bytes = std::fs::read(path).map_err(|e| format!("reading {input}: {e}"))?;
        let url = match base_url {
            Some(base) => base.clone(),
            None => std::path::absolute(path)
                .ok()
                .and_then(|p| Url::from_file_path(p).ok())
                .ok_or_else(|| format!("{input}: cannot make a file URL; pass --base-url"))?,
        };
        (url, String::from_utf8_lossy(&bytes).into_owned())
    } else {
        let url = Url::parse(input)
            .map_err(|_| format!("{input:?} is neither a file nor an http(s) URL"))?;
        match fetcher.fetch(&url, &Validators::default()).await {
            Ok(FetchOutcome::Page(page)) => (page.url, page.body),
            Ok(FetchOutcome::NotModified) => {
                return Err("the server answered 304 to an unconditional request".into())
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let extraction = extract(&html, &page_url, rules).ok_or("no product found")?;
    Ok((page_url.to_string(), extraction))
}

fn to_json(url: &str, e: &Extraction) -> serde_json::Value {
    let price = e.price.map(|m| {
        let places = usize::from(m.currency.exponent().unwrap_or(2));
        format!("{:.*}", places, m.amount)
    });
    json!({
        "url": url,
        "title": e.title,
        "price": price,
        "currency": e.price.map(|m| m.currency.code()),
        "availability": e.availability.as_str(),
        "method": e.method.as_str(),
        "confidence": (f64::from(e.confidence) * 100.0).round() / 100.0,
    })
}
