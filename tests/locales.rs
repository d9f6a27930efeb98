//! Every locale is complete: the same message ids as en-GB, the same
//! variables, every message formats without error, and every id the code
//! asks for exists.

use dealwatch::l10n::LOCALES;
use dealwatch::model::{Condition, Plan, Weekday};
use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use std::collections::{BTreeMap, BTreeSet};

fn variables(pattern: &Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables(expression: &Expression<&str>, out: &mut BTreeSet<String>) {
    match expression {
        Expression::Inline(inline) => inline_variables(inline, out),
        Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for variant in variants {
                variables(&variant.value, out);
            }
        }
    }
}

fn inline_variables(inline: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match inline {
        InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        InlineExpression::Placeable { expression } => expression_variables(expression, out),
        _ => {}
    }
}

/// Message id -> the variables it uses, for one locale's source.
fn messages(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let resource = fluent_syntax::parser::parse(source)
        .unwrap_or_else(|(_, errors)| panic!("syntax errors: {errors:?}"));
    let mut out = BTreeMap::new();
    for entry in &resource.body {
        if let Entry::Message(message) = entry {
            let mut vars = BTreeSet::new();
            if let Some(value) = &message.value {
                variables(value, &mut vars);
            }
            assert!(
                out.insert(message.id.name.to_owned(), vars).is_none(),
                "duplicate {}",
                message.id.name
            );
        }
    }
    out
}

#[test]
fn every_locale_has_every_message_with_the_same_variables() {
    let reference = messages(LOCALES[0].source);
    assert_eq!(LOCALES[0].id, "en-GB");
    assert!(LOCALES.len() >= 3, "en-GB plus at least German and French");
    for locale in &LOCALES[1..] {
        let theirs = messages(locale.source);
        let missing: Vec<_> = reference
            .keys()
            .filter(|id| !theirs.contains_key(*id))
            .collect();
        let extra: Vec<_> = theirs
            .keys()
            .filter(|id| !reference.contains_key(*id))
            .collect();
        assert!(missing.is_empty(), "{} lacks {missing:?}", locale.id);
        assert!(
            extra.is_empty(),
            "{} has ids en-GB lacks: {extra:?}",
            locale.id
        );
        for (id, vars) in &reference {
            assert_eq!(
                &theirs[id], vars,
                "{}: {id} uses other variables than en-GB",
                locale.id
            );
        }
    }
}

#[test]
fn every_message_formats_cleanly_in_every_locale() {
    let reference = messages(LOCALES[0].source);
    for locale in LOCALES {
        let resource = FluentResource::try_new(locale.source.to_owned()).expect("parses");
        let mut bundle = FluentBundle::new(vec![locale.id.parse().expect("langid")]);
        bundle.set_use_isolating(false);
        bundle.add_resource(resource).expect("no duplicates");
        for (id, vars) in &reference {
            for sample in [1, 2, 5] {
                let mut args = FluentArgs::new();
                for var in vars {
                    args.set(var.as_str(), FluentValue::from(sample));
                }
                let message = bundle
                    .get_message(id)
                    .unwrap_or_else(|| panic!("{}: {id} missing", locale.id));
                let pattern = message
                    .value()
                    .unwrap_or_else(|| panic!("{}: {id} has no value", locale.id));
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{}: {id}: {errors:?}", locale.id);
                assert!(
                    !text.trim().is_empty() || id == "word-or",
                    "{}: {id} is empty",
                    locale.id
                );
            }
        }
    }
}

/// Every `.msg("id"` in the source, plus the ids built from names.
fn ids_used_by_the_code() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read src") {
                stack.push(entry.expect("entry").path());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read source");
        // Unit tests ask for missing ids on purpose.
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        let mut rest = code;
        while let Some(at) = rest.find(".msg(") {
            rest = rest[at + 5..].trim_start();
            if let Some(quoted) = rest.strip_prefix('"') {
                if let Some(end) = quoted.find('"') {
                    ids.insert(quoted[..end].to_owned());
                }
            }
        }
    }
    for cmd in dealwatch::command::names() {
        ids.insert(format!("help-{cmd}"));
        ids.insert(format!("usage-{cmd}"));
    }
    for plan in Plan::ALL {
        ids.insert(format!("plan-name-{}", plan.as_str()));
    }
    for option in dealwatch::slash::option_names() {
        ids.insert(format!("option-{option}"));
    }
    for condition in [Condition::New, Condition::Used, Condition::Refurbished] {
        ids.insert(format!("condition-{}", condition.as_str()));
    }
    for day in Weekday::ALL {
        ids.insert(format!("day-{}", day.english()));
    }
    for code in [
        "empty",
        "too-long",
        "missing-url",
        "bad-url",
        "unsupported-scheme",
        "url-credentials",
        "two-urls",
        "bad-price",
        "mixed-currencies",
        "bounds-inverted",
        "bad-percent",
        "missing-id",
        "bad-id",
        "too-many-ids",
        "bad-time",
        "empty-window",
        "bad-day",
        "missing-words",
        "too-many-words",
        "word-too-long",
        "bad-score",
        "bad-condition",
        "missing-plan",
        "bad-plan",
        "bad-cap",
        "bad-code",
        "unexpected",
    ] {
        ids.insert(format!("problem-{code}"));
    }
    ids
}

#[test]
fn every_id_the_code_uses_exists() {
    let reference = messages(LOCALES[0].source);
    let used = ids_used_by_the_code();
    assert!(
        used.len() > 100,
        "the scan found only {} ids; is it still reading the code?",
        used.len()
    );
    let missing: Vec<_> = used
        .iter()
        .filter(|id| !reference.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "ids used in src/ but missing from en-GB: {missing:?}"
    );
}
