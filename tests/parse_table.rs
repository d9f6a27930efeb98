//! The command parser against a table of real-world phrasings.
//!
//! Each row is what someone typed and a compact description of what it must
//! parse to (`error:COMMAND:PROBLEM` for a known command with bad arguments).

use dealwatch::command::{
    parse, AddTarget, Command, CommunityCommand, CommunitySetting, ParseError,
};
use dealwatch::model::{Digest, ItemNo};
use dealwatch::money::PriceSpec;

fn price(p: &PriceSpec) -> String {
    format!(
        "{}{}",
        p.amount.normalize(),
        p.currency.map_or("", |c| c.code())
    )
}

fn ids(ids: &[ItemNo]) -> String {
    ids.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn describe(parsed: &Result<Command, ParseError>) -> String {
    let cmd = match parsed {
        Err(e) => return format!("error:{}:{}", e.command, e.problem.code()),
        Ok(cmd) => cmd,
    };
    match cmd {
        Command::Start { payload: None } => "start".into(),
        Command::Start { payload: Some(p) } => format!("start payload={p}"),
        Command::Help { topic: None } => "help".into(),
        Command::Help { topic: Some(t) } => format!("help topic={t}"),
        Command::Watch(w) => {
            let mut s = format!("watch {}", w.url);
            if let Some(t) = &w.target {
                s += &format!(" below={}", price(t));
            }
            if let Some(d) = w.drop_percent {
                s += &format!(" drop={d}");
            }
            if w.back_in_stock {
                s += " stock";
            }
            s
        }
        Command::Alert(r) => {
            let mut s = format!("alert words={}", r.words.join(","));
            if !r.excluded.is_empty() {
                s += &format!(" excl={}", r.excluded.join(","));
            }
            if let Some(p) = &r.min_price {
                s += &format!(" min={}", price(p));
            }
            if let Some(p) = &r.max_price {
                s += &format!(" max={}", price(p));
            }
            if let Some(c) = &r.category {
                s += &format!(" cat={c}");
            }
            if let Some(sc) = r.min_score {
                s += &format!(" score={sc}");
            }
            if let Some(c) = r.condition {
                s += &format!(" cond={}", c.as_str());
            }
            s
        }
        Command::List => "list".into(),
        Command::Settings => "settings".into(),
        Command::Pause(n) => format!("pause {}", ids(n)),
        Command::Resume(n) => format!("resume {}", ids(n)),
        Command::Delete(n) => format!("delete {}", ids(n)),
        Command::PauseAll => "pause all".into(),
        Command::ResumeAll => "resume all".into(),
        Command::Thanks => "thanks".into(),
        Command::DeleteMatching(words) => format!("delete-named {}", words.join(",")),
        Command::Test(n) => format!("test {n}"),
        Command::History(n) => format!("history {n}"),
        Command::AlertTo { spec, to, plain } => format!(
            "{} | to={to}: {}",
            describe(&Ok(Command::Alert(plain.clone()))),
            describe(&Ok(Command::Alert(spec.clone())))
        ),
        Command::Community(c) => {
            let at = |name: &Option<String>| name.as_deref().unwrap_or("here").to_owned();
            match c {
                CommunityCommand::List => "community list".into(),
                CommunityCommand::Add { target, name } => format!(
                    "community add {}{}",
                    match target {
                        AddTarget::Webhook(webhook) => webhook.id().to_owned(),
                        AddTarget::Channel(channel) => format!("channel={channel}"),
                    },
                    name.as_deref()
                        .map_or(String::new(), |n| format!(" name={n}"))
                ),
                CommunityCommand::Test { name } => format!("community test {}", at(name)),
                CommunityCommand::Remove { name } => format!("community remove {}", at(name)),
                CommunityCommand::Set { name, setting } => {
                    let value = match setting {
                        CommunitySetting::Cap(cap) => format!("cap {cap}"),
                        CommunitySetting::Quiet(None) => "quiet off".into(),
                        CommunitySetting::Quiet(Some(q)) => format!("quiet {}-{}", q.start, q.end),
                        CommunitySetting::Digest(d) => {
                            format!("digest {}", describe(&Ok(Command::Digest(Some(*d)))))
                        }
                        CommunitySetting::Zone(zone) => format!("timezone {zone}"),
                        CommunitySetting::Mention(None) => "mention off".into(),
                        CommunitySetting::Mention(Some(role)) => format!("mention {role}"),
                    };
                    let (verb, rest) = value.split_once(' ').unwrap_or((&value, ""));
                    format!("community {verb} {} {rest}", at(name))
                }
                CommunityCommand::Rules { name, op, ids: n } => {
                    format!("community {op:?} {} {}", at(name), ids(n)).to_lowercase()
                }
            }
        }
        Command::Name { id, label: None } => format!("name {id}"),
        Command::Name {
            id,
            label: Some(label),
        } => format!("name {id} label={label}"),
        Command::Quiet(None) => "quiet show".into(),
        Command::Quiet(Some(None)) => "quiet off".into(),
        Command::Quiet(Some(Some(q))) => format!("quiet {}-{}", q.start, q.end),
        Command::Digest(None) => "digest show".into(),
        Command::Digest(Some(Digest::Off)) => "digest off".into(),
        Command::Digest(Some(Digest::Daily { at })) => format!("digest daily {at}"),
        Command::Digest(Some(Digest::Weekly { day, at })) => {
            format!("digest weekly {} {at}", day.english())
        }
        Command::Cap(None) => "cap show".into(),
        Command::Cap(Some(None)) => "cap off".into(),
        Command::Cap(Some(Some(n))) => format!("cap {n}"),
        Command::Timezone(None) => "timezone show".into(),
        Command::Timezone(Some(z)) => format!("timezone {z}"),
        Command::Language(None) => "language show".into(),
        Command::Language(Some(l)) => format!("language {l}"),
        Command::Plan => "plan".into(),
        Command::Upgrade(p) => format!("upgrade {}", p.plan().as_str()),
        Command::Billing => "billing".into(),
        Command::Link { code: None, .. } => "link".into(),
        Command::Link {
            code: Some(c),
            confirmed,
        } => format!("link code={c}{}", if *confirmed { " yes" } else { "" }),
        Command::Stop => "stop".into(),
        Command::Unstop => "unstop".into(),
        Command::Unclear(readings) => format!("unclear {}", readings.join(" | ")),
        Command::Unknown {
            word,
            suggestion: None,
        } => format!("unknown {word}"),
        Command::Unknown {
            word,
            suggestion: Some(s),
        } => format!("unknown {word} suggest={s}"),
    }
}

const U: &str = "https://shop.example/p/1";
const HOOK: &str = "https://discord.com/api/webhooks/123/tok_en-ABC";

#[test]
fn real_world_phrasings() {
    let w = |rest: &str| format!("watch {U}{rest}");
    let cases: Vec<(String, String)> = vec![
        // greetings and help
        ("start".into(), "start".into()),
        ("/start".into(), "start".into()),
        ("/start@DealwatchBot".into(), "start".into()),
        (
            "/start ref_abc123".into(),
            "start payload=ref_abc123".into(),
        ),
        ("Hi".into(), "start".into()),
        ("hello".into(), "start".into()),
        ("START".into(), "start".into()),
        ("help".into(), "help".into()),
        ("/help".into(), "help".into()),
        ("HELP".into(), "help".into()),
        ("help watch".into(), "help topic=watch".into()),
        ("help /alert".into(), "help topic=alert".into()),
        ("?".into(), "help".into()),
        ("commands".into(), "help".into()),
        ("/help@DealwatchBot".into(), "help".into()),
        // watch: forms of the command
        (format!("watch {U}"), w("")),
        (format!("watch {U} below £40"), w(" below=40GBP")),
        (format!("/watch {U} below £40"), w(" below=40GBP")),
        (
            format!("/watch@DealwatchBot {U} below £40"),
            w(" below=40GBP"),
        ),
        (format!("WATCH {U} BELOW £40"), w(" below=40GBP")),
        (format!("watch   {U}    below   £40  "), w(" below=40GBP")),
        (format!("  \t watch {U}\n"), w("")),
        (U.into(), w("")),
        (format!("{U} £40"), w(" below=40GBP")),
        (format!("{U} below 40"), w(" below=40")),
        (format!("track {U}"), w("")),
        (format!("follow {U}"), w("")),
        (format!("add {U}"), w("")),
        // watch: prices
        (format!("watch {U} below 40 GBP"), w(" below=40GBP")),
        (format!("watch {U} below 40GBP"), w(" below=40GBP")),
        (format!("watch {U} below 40gbp"), w(" below=40GBP")),
        (format!("watch {U} under €1.299,00"), w(" below=1299EUR")),
        (format!("watch {U} below 1,299.00"), w(" below=1299")),
        (format!("watch {U} below $12.5"), w(" below=12.5USD")),
        (format!("watch {U} below £ 40"), w(" below=40GBP")),
        (format!("watch {U} <40"), w(" below=40")),
        (format!("watch {U} < £40"), w(" below=40GBP")),
        (format!("watch {U} for £39.99"), w(" below=39.99GBP")),
        (format!("watch {U} target 40"), w(" below=40")),
        (format!("watch {U} max 40"), w(" below=40")),
        (format!("watch {U} below 99p"), w(" below=0.99GBP")),
        (format!("watch {U} below 40 quid"), w(" below=40GBP")),
        (format!("watch {U} below 40€"), w(" below=40EUR")),
        (format!("watch {U} below EUR 40"), w(" below=40EUR")),
        (format!("watch {U} below 1.299,-"), w(" below=1299")),
        (format!("watch {U} below 12,99 €"), w(" below=12.99EUR")),
        (
            format!("watch {U} below 1 299,00€"),
            "error:watch:unexpected".into(),
        ),
        (format!("watch {U} under 40 USD"), w(" below=40USD")),
        (
            format!("watch {U} below CHF 1'299.50"),
            w(" below=1299.5CHF"),
        ),
        // watch: drops and stock
        (format!("watch {U} drop 10%"), w(" drop=10")),
        (format!("watch {U} 10% drop"), w(" drop=10")),
        (format!("watch {U} -15%"), w(" drop=15")),
        (format!("watch {U} drop 10"), w(" drop=10")),
        (format!("watch {U} drop 10 %"), w(" drop=10")),
        (format!("watch {U} drops 12.5%"), w(" drop=12.5")),
        (format!("watch {U} 20% off"), w(" drop=20")),
        (format!("watch {U} instock"), w(" stock")),
        (format!("watch {U} in stock"), w(" stock")),
        (format!("watch {U} back in stock"), w(" stock")),
        (format!("watch {U} restock"), w(" stock")),
        (format!("watch {U} in-stock"), w(" stock")),
        (
            format!("watch {U} below £40 drop 10% instock"),
            w(" below=40GBP drop=10 stock"),
        ),
        (
            format!("watch {U} instock drop 5% below 40"),
            w(" below=40 drop=5 stock"),
        ),
        // watch: prose
        (
            format!("watch {U} when the price drops below £40"),
            w(" below=40GBP"),
        ),
        (
            format!("{U} below £40 or 10% off"),
            w(" below=40GBP drop=10"),
        ),
        (format!("watch {U} if it goes under £30"), w(" below=30GBP")),
        (format!("watch {U} alert me when available"), w(" stock")),
        (format!("watch {U} when it drops to £35"), w(" below=35GBP")),
        (format!("watch {U} please"), w("")),
        // watch: links as people paste them
        ("watch shop.example/p/1".into(), w("")),
        (
            "watch www.shop.example/p/1".into(),
            "watch https://www.shop.example/p/1".into(),
        ),
        (format!("watch <{U}>"), w("")),
        (format!("watch {U}."), w("")),
        (format!("watch ({U})"), w("")),
        (format!("watch \"{U}\""), w("")),
        (
            format!("watch {U}?utm_source=tg"),
            format!("watch {U}?utm_source=tg"),
        ),
        (
            "watch http://shop.example/p/1".into(),
            "watch http://shop.example/p/1".into(),
        ),
        (
            "watch https://shop.example:8443/p/1".into(),
            "watch https://shop.example:8443/p/1".into(),
        ),
        (
            "watch HTTPS://SHOP.EXAMPLE/p/1".into(),
            "watch https://shop.example/p/1".into(),
        ),
        (
            "watch https://bücher.example/p".into(),
            "watch https://xn--bcher-kva.example/p".into(),
        ),
        // watch: refusals
        ("watch".into(), "error:watch:missing-url".into()),
        ("watch below £40".into(), "error:watch:missing-url".into()),
        (
            "watch ftp://shop.example/file".into(),
            "error:watch:unsupported-scheme".into(),
        ),
        (
            "watch javascript:alert(1)".into(),
            "error:watch:unsupported-scheme".into(),
        ),
        (
            "watch data:text/html,hi".into(),
            "error:watch:unsupported-scheme".into(),
        ),
        (
            "watch file:///etc/passwd".into(),
            "error:watch:unsupported-scheme".into(),
        ),
        (
            "watch https://user:pass@shop.example/p".into(),
            "error:watch:url-credentials".into(),
        ),
        (
            "watch https://a.example/1 https://b.example/2".into(),
            "error:watch:two-urls".into(),
        ),
        (
            format!("watch {U} below abc"),
            "error:watch:bad-price".into(),
        ),
        (format!("watch {U} below"), "error:watch:bad-price".into()),
        (
            format!("watch {U} below -5"),
            "error:watch:bad-price".into(),
        ),
        (format!("watch {U} below 0"), "error:watch:bad-price".into()),
        (
            format!("watch {U} below 99999999999999"),
            "error:watch:bad-price".into(),
        ),
        (
            format!("watch {U} drop 150%"),
            "error:watch:bad-percent".into(),
        ),
        (
            format!("watch {U} drop 0%"),
            "error:watch:bad-percent".into(),
        ),
        (format!("watch {U} banana"), "error:watch:unexpected".into()),
        (
            format!("watch {U} below £40 €"),
            "error:watch:unexpected".into(),
        ),
        // alert
        (
            "alert gaming pc -mac under 800".into(),
            "alert words=gaming,pc excl=mac max=800".into(),
        ),
        (
            "/alert gaming pc -mac under 800".into(),
            "alert words=gaming,pc excl=mac max=800".into(),
        ),
        (
            "/alert@DealwatchBot gaming pc -mac under 800".into(),
            "alert words=gaming,pc excl=mac max=800".into(),
        ),
        (
            "alert gaming pc -mac under £800".into(),
            "alert words=gaming,pc excl=mac max=800GBP".into(),
        ),
        (
            "ALERT Gaming PC -Mac UNDER 800".into(),
            "alert words=gaming,pc excl=mac max=800".into(),
        ),
        ("alert ps5".into(), "alert words=ps5".into()),
        ("alert PS5 Digital".into(), "alert words=ps5,digital".into()),
        (
            "alert lego -duplo -technic".into(),
            "alert words=lego excl=duplo,technic".into(),
        ),
        (
            "alert lego not duplo".into(),
            "alert words=lego excl=duplo".into(),
        ),
        (
            "alert lego without duplo".into(),
            "alert words=lego excl=duplo".into(),
        ),
        (
            "alert tv over 300 under 800".into(),
            "alert words=tv min=300 max=800".into(),
        ),
        (
            "alert tv between 300 and 800".into(),
            "alert words=tv min=300 max=800".into(),
        ),
        (
            "alert tv between £300 and £800".into(),
            "alert words=tv min=300GBP max=800GBP".into(),
        ),
        (
            "alert tv 300-800".into(),
            "alert words=tv min=300 max=800".into(),
        ),
        (
            "alert tv £300-£800".into(),
            "alert words=tv min=300GBP max=800GBP".into(),
        ),
        (
            "alert tv 300-800€".into(),
            "alert words=tv min=300EUR max=800EUR".into(),
        ),
        ("alert tv <800".into(), "alert words=tv max=800".into()),
        ("alert tv >300".into(), "alert words=tv min=300".into()),
        ("alert tv under800".into(), "alert words=tv max=800".into()),
        (
            "alert tv under £ 800".into(),
            "alert words=tv max=800GBP".into(),
        ),
        (
            "alert tv below 800 euros".into(),
            "alert words=tv max=800EUR".into(),
        ),
        (
            "alert laptop in computers".into(),
            "alert words=laptop cat=computers".into(),
        ),
        (
            "alert laptop category computers".into(),
            "alert words=laptop cat=computers".into(),
        ),
        (
            "alert laptop score 0.3".into(),
            "alert words=laptop score=0.3".into(),
        ),
        (
            "alert laptop score 30%".into(),
            "alert words=laptop score=0.3".into(),
        ),
        (
            "alert laptop score 30".into(),
            "alert words=laptop score=0.3".into(),
        ),
        (
            "alert laptop score .5".into(),
            "alert words=laptop score=0.5".into(),
        ),
        (
            "alert iphone condition refurbished".into(),
            "alert words=iphone cond=refurbished".into(),
        ),
        (
            "alert iphone condition used".into(),
            "alert words=iphone cond=used".into(),
        ),
        (
            "alert iphone condition new".into(),
            "alert words=iphone cond=new".into(),
        ),
        (
            "alert iphone cond refurb".into(),
            "alert words=iphone cond=refurbished".into(),
        ),
        (
            "alert iphone condition pre-owned".into(),
            "alert words=iphone cond=used".into(),
        ),
        ("alert rtx-4090".into(), "alert words=rtx-4090".into()),
        ("alert c++ book".into(), "alert words=c++,book".into()),
        ("alert café".into(), "alert words=café".into()),
        (
            "alert Kaffeevollautomat".into(),
            "alert words=kaffeevollautomat".into(),
        ),
        (
            "alert tv, soundbar".into(),
            "alert words=tv,soundbar".into(),
        ),
        ("alert tv tv tv".into(), "alert words=tv".into()),
        (
            "alert gaming pc -mac under 800 in computers score 40% condition new".into(),
            "alert words=gaming,pc excl=mac max=800 cat=computers score=0.4 cond=new".into(),
        ),
        (
            "alert Nintendo Switch OLED under 250 GBP".into(),
            "alert words=nintendo,switch,oled max=250GBP".into(),
        ),
        (
            "rule headphones under 100".into(),
            "alert words=headphones max=100".into(),
        ),
        (
            "search headphones under 100".into(),
            "alert words=headphones max=100".into(),
        ),
        (
            "alert the best headphones for me".into(),
            "alert words=best,headphones".into(),
        ),
        (
            "alert ssd 2tb under 100 over 50".into(),
            "alert words=ssd,2tb min=50 max=100".into(),
        ),
        (
            "alert ssd up to 100".into(),
            "alert words=ssd max=100".into(),
        ),
        (
            "alert ssd at least 50".into(),
            "alert words=ssd min=50".into(),
        ),
        ("alert ssd max 100".into(), "alert words=ssd max=100".into()),
        ("alert ssd min 50".into(), "alert words=ssd min=50".into()),
        (
            "alert airpods max2".into(),
            "alert words=airpods,max2".into(),
        ),
        ("alert min0".into(), "alert words=min0".into()),
        (
            "alert ssd -sata -\"used\"".into(),
            "alert words=ssd excl=sata,used".into(),
        ),
        ("alert ssd -".into(), "alert words=ssd".into()),
        // alert refusals
        ("alert".into(), "error:alert:missing-words".into()),
        ("alert under 800".into(), "error:alert:missing-words".into()),
        ("alert -mac".into(), "error:alert:missing-words".into()),
        ("alert tv under abc".into(), "error:alert:bad-price".into()),
        ("alert tv under".into(), "error:alert:bad-price".into()),
        (
            "alert tv over 800 under 300".into(),
            "error:alert:bounds-inverted".into(),
        ),
        (
            "alert tv over £300 under €800".into(),
            "error:alert:mixed-currencies".into(),
        ),
        ("alert tv score 150".into(), "error:alert:bad-score".into()),
        ("alert tv score".into(), "error:alert:bad-score".into()),
        (
            "alert tv condition broken".into(),
            "error:alert:bad-condition".into(),
        ),
        (
            "alert a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15 a16 a17 a18 a19 a20 a21"
                .into(),
            "error:alert:too-many-words".into(),
        ),
        (
            "alert supercalifragilisticexpialidociousextraordinarily".into(),
            "error:alert:word-too-long".into(),
        ),
        // list and settings
        ("list".into(), "list".into()),
        ("/list".into(), "list".into()),
        ("/list@DealwatchBot".into(), "list".into()),
        ("ls".into(), "list".into()),
        ("LIST".into(), "list".into()),
        ("List.".into(), "list".into()),
        ("watches".into(), "list".into()),
        ("list all".into(), "list".into()),
        ("list everything".into(), "list".into()),
        ("settings".into(), "settings".into()),
        ("prefs".into(), "settings".into()),
        // pause, resume, delete
        ("pause 2".into(), "pause 2".into()),
        ("pause #2".into(), "pause 2".into()),
        ("/pause@DealwatchBot 2".into(), "pause 2".into()),
        ("pause 2 3".into(), "pause 2,3".into()),
        ("pause 2,3".into(), "pause 2,3".into()),
        ("pause #2 #2".into(), "pause 2".into()),
        ("stop 2".into(), "pause 2".into()),
        ("resume 2".into(), "resume 2".into()),
        ("unpause #2".into(), "resume 2".into()),
        ("delete 1".into(), "delete 1".into()),
        ("del 1".into(), "delete 1".into()),
        ("rm #1".into(), "delete 1".into()),
        ("remove 1 and 2".into(), "delete 1,2".into()),
        ("delete #1, #2".into(), "delete 1,2".into()),
        ("pause".into(), "error:pause:missing-id".into()),
        ("pause abc".into(), "error:pause:bad-id".into()),
        ("delete 0".into(), "error:delete:bad-id".into()),
        ("delete -1".into(), "error:delete:bad-id".into()),
        ("delete 1.5".into(), "error:delete:bad-id".into()),
        (
            "delete 1; DROP TABLE watches".into(),
            "error:delete:bad-id".into(),
        ),
        ("test 2".into(), "test 2".into()),
        ("test #2".into(), "test 2".into()),
        ("test".into(), "error:test:missing-id".into()),
        ("test 1 2".into(), "error:test:too-many-ids".into()),
        ("history 1".into(), "history 1".into()),
        ("history #1".into(), "history 1".into()),
        ("chart 1".into(), "history 1".into()),
        ("history".into(), "error:history:missing-id".into()),
        ("name 3 Kids' bike".into(), "name 3 label=Kids' bike".into()),
        // Communities: a pasted Discord webhook URL registers it.
        (HOOK.to_string(), "community add 123".into()),
        (format!("<{HOOK}>"), "community add 123".into()),
        (
            format!("{HOOK} Deals"),
            "community add 123 name=deals".into(),
        ),
        (
            format!("community add {HOOK} as weekend-deals"),
            "community add 123 name=weekend-deals".into(),
        ),
        (format!("/webhook add {HOOK}"), "community add 123".into()),
        (format!("watch {HOOK}"), "community add 123".into()),
        // Elsewhere in a sentence it is neither a page to fetch nor a
        // search word: its token would be stored or fetched.
        (
            format!("tell me when {HOOK} drops below £30"),
            "unknown tell suggest=community".into(),
        ),
        (
            format!("alert lego {HOOK}"),
            "unknown alert suggest=community".into(),
        ),
        ("community".into(), "community list".into()),
        // "to NAME" at the end may name a community; both readings are kept.
        (
            "alert lego under 40 to deals".into(),
            "alert words=lego max=40 | to=deals: alert words=lego max=40".into(),
        ),
        (
            "alert flights to paris".into(),
            "alert words=flights,paris | to=paris: alert words=flights".into(),
        ),
        ("alert lego to".into(), "alert words=lego".into()),
        (
            "community test 2deals".into(),
            "error:community:bad-community-name".into(),
        ),
        ("alert to deals".into(), "error:alert:missing-words".into()),
        (
            "community cap deals 20".into(),
            "community cap deals 20".into(),
        ),
        (
            "community limit Deals off".into(),
            "community cap deals 1000".into(),
        ),
        (
            "community cap deals 0".into(),
            "error:community:bad-cap".into(),
        ),
        (
            "community cap deals 1001".into(),
            "error:community:bad-cap".into(),
        ),
        ("community cap".into(), "error:community:bad-cap".into()),
        // Typed in a group without a name: about that group.
        ("community cap 20".into(), "community cap here 20".into()),
        (
            "community cap 20 deals".into(),
            "community cap deals 20".into(),
        ),
        (
            "community quiet 23:00-07:00 deals".into(),
            "community quiet deals 23:00-07:00".into(),
        ),
        ("community cap off".into(), "community cap here 1000".into()),
        (
            "community quiet 23:00-07:00".into(),
            "community quiet here 23:00-07:00".into(),
        ),
        (
            "community quiet off".into(),
            "community quiet here off".into(),
        ),
        (
            "community quiet off off".into(),
            "community quiet off off".into(),
        ),
        ("community test".into(), "community test here".into()),
        (
            "community digest daily 18:00".into(),
            "community digest here digest daily 18:00".into(),
        ),
        (
            "community digest deals weekly friday".into(),
            "community digest deals digest weekly friday 08:00".into(),
        ),
        (
            "community digest off".into(),
            "community digest here digest off".into(),
        ),
        (
            "community timezone Europe/Berlin".into(),
            "community timezone here Europe/Berlin".into(),
        ),
        (
            "community tz deals America/New_York".into(),
            "community timezone deals America/New_York".into(),
        ),
        (
            "community mention <@&123456789012345678>".into(),
            "community mention here 123456789012345678".into(),
        ),
        (
            "community mention deals 123456789012345678".into(),
            "community mention deals 123456789012345678".into(),
        ),
        (
            "community mention off".into(),
            "community mention here off".into(),
        ),
        (
            "community mention @everyone".into(),
            "error:community:bad-role".into(),
        ),
        (
            "community mention <@123456789012345678>".into(),
            "error:community:bad-role".into(),
        ),
        ("community remove".into(), "community remove here".into()),
        (
            "community delete deals".into(),
            "community remove deals".into(),
        ),
        (
            "community delete 3".into(),
            "community delete here 3".into(),
        ),
        (
            "community rm #3, 4".into(),
            "community delete here 3,4".into(),
        ),
        ("community pause 3".into(), "community pause here 3".into()),
        (
            "community resume deals 3 and 5".into(),
            "community resume deals 3,5".into(),
        ),
        (
            "community pause".into(),
            "error:community:missing-id".into(),
        ),
        (
            "community pause deals x".into(),
            "error:community:bad-id".into(),
        ),
        // A Telegram channel: @name, a t.me link, or its id.
        (
            "community add @cheap_deals".into(),
            "community add channel=@cheap_deals".into(),
        ),
        (
            "community add https://t.me/cheap_deals as deals".into(),
            "community add channel=@cheap_deals name=deals".into(),
        ),
        (
            "community add -1001234567890".into(),
            "community add channel=-1001234567890".into(),
        ),
        (
            "community add @ab".into(),
            "error:community:bad-webhook".into(),
        ),
        (
            "community add @evil/../x".into(),
            "error:community:bad-webhook".into(),
        ),
        (
            "community add -1001x".into(),
            "error:community:bad-webhook".into(),
        ),
        (
            "community quiet deals 23:00-07:00".into(),
            "community quiet deals 23:00-07:00".into(),
        ),
        (
            "community quiet deals 11pm to 7am".into(),
            "community quiet deals 23:00-07:00".into(),
        ),
        (
            "community quiet deals off".into(),
            "community quiet deals off".into(),
        ),
        (
            "community quiet deals".into(),
            "error:community:bad-time".into(),
        ),
        (
            "community quiet deals 25:00-07:00".into(),
            "error:community:bad-time".into(),
        ),
        ("communities".into(), "community list".into()),
        ("community list".into(), "community list".into()),
        ("community test Deals".into(), "community test deals".into()),
        (
            "community rm #deals".into(),
            "community remove deals".into(),
        ),
        (
            "community remove a b".into(),
            "error:community:unexpected".into(),
        ),
        (
            "community test a/b".into(),
            "error:community:bad-community-name".into(),
        ),
        (
            format!("community add {HOOK} {}", "x".repeat(33)),
            "error:community:bad-community-name".into(),
        ),
        ("community add".into(), "error:community:bad-webhook".into()),
        (
            "community frobnicate".into(),
            "error:community:unexpected".into(),
        ),
        (
            "community add https://discord.com/api/webhooks/123".into(),
            "error:community:bad-webhook".into(),
        ),
        (
            "http://discord.com/api/webhooks/1/abc".into(),
            "error:community:bad-webhook".into(),
        ),
        (
            "https://discordapp.com/api/webhooks/1/abc/slack".into(),
            "error:community:bad-webhook".into(),
        ),
        // Other links are still watches, even with "webhooks" in them.
        (
            "https://shop.example/webhooks/1/abc".into(),
            "watch https://shop.example/webhooks/1/abc".into(),
        ),
        (
            "/name #3   Kids'   bike ".into(),
            "name 3 label=Kids' bike".into(),
        ),
        ("rename 3 Für Oma".into(), "name 3 label=Für Oma".into()),
        ("label 12 tv".into(), "name 12 label=tv".into()),
        ("name 3".into(), "name 3".into()),
        ("name".into(), "error:name:missing-id".into()),
        ("name bike 3".into(), "error:name:bad-id".into()),
        ("name 0 bike".into(), "error:name:bad-id".into()),
        (
            format!("name 3 {}", "x".repeat(40)),
            format!("name 3 label={}", "x".repeat(40)),
        ),
        (
            format!("name 3 {}", "x".repeat(41)),
            "error:name:label-too-long".into(),
        ),
        // Characters, not bytes: 40 emoji are a name, 41 are not.
        (
            format!("name 3 {}", "🚲".repeat(40)),
            format!("name 3 label={}", "🚲".repeat(40)),
        ),
        (
            format!("name 3 {}", "🚲".repeat(41)),
            "error:name:label-too-long".into(),
        ),
        // quiet hours
        ("quiet 22:00-07:00".into(), "quiet 22:00-07:00".into()),
        ("quiet 22:00 - 07:00".into(), "quiet 22:00-07:00".into()),
        ("quiet 22:00–07:00".into(), "quiet 22:00-07:00".into()),
        ("quiet 22-7".into(), "quiet 22:00-07:00".into()),
        ("quiet 10pm-7am".into(), "quiet 22:00-07:00".into()),
        ("quiet 10 pm - 7 am".into(), "quiet 22:00-07:00".into()),
        ("quiet 10pm to 7am".into(), "quiet 22:00-07:00".into()),
        (
            "quiet from 22:00 to 07:00".into(),
            "quiet 22:00-07:00".into(),
        ),
        ("quiet 22h-7h".into(), "quiet 22:00-07:00".into()),
        ("quiet 22.30-06.45".into(), "quiet 22:30-06:45".into()),
        ("quiet 22:00 07:00".into(), "quiet 22:00-07:00".into()),
        ("quiet noon-13:00".into(), "quiet 12:00-13:00".into()),
        ("quiet off".into(), "quiet off".into()),
        ("quiet none".into(), "quiet off".into()),
        ("quiet".into(), "quiet show".into()),
        ("dnd 23:00-06:00".into(), "quiet 23:00-06:00".into()),
        ("quiet 25:00-07:00".into(), "error:quiet:bad-time".into()),
        ("quiet 22:00".into(), "error:quiet:bad-time".into()),
        (
            "quiet 22:00-22:00".into(),
            "error:quiet:empty-window".into(),
        ),
        ("quiet tonight".into(), "error:quiet:bad-time".into()),
        // digests
        ("digest daily".into(), "digest daily 08:00".into()),
        ("digest daily 18:30".into(), "digest daily 18:30".into()),
        ("digest daily at 9am".into(), "digest daily 09:00".into()),
        ("digest weekly".into(), "digest weekly monday 08:00".into()),
        (
            "digest weekly sunday 18:00".into(),
            "digest weekly sunday 18:00".into(),
        ),
        (
            "digest weekly 18:00 sun".into(),
            "digest weekly sunday 18:00".into(),
        ),
        ("digest sunday".into(), "digest weekly sunday 08:00".into()),
        ("digest 07:30".into(), "digest daily 07:30".into()),
        ("digest off".into(), "digest off".into()),
        ("digest".into(), "digest show".into()),
        ("digest daily sunday".into(), "error:digest:bad-day".into()),
        ("digest hourly".into(), "error:digest:bad-time".into()),
        // daily cap
        ("cap 5".into(), "cap 5".into()),
        ("cap 0".into(), "cap 0".into()),
        ("cap off".into(), "cap off".into()),
        ("cap unlimited".into(), "cap off".into()),
        ("cap".into(), "cap show".into()),
        ("limit 10".into(), "cap 10".into()),
        ("cap five".into(), "error:cap:bad-cap".into()),
        ("cap 5000".into(), "error:cap:bad-cap".into()),
        ("cap -1".into(), "error:cap:bad-cap".into()),
        ("cap 5 please".into(), "error:cap:unexpected".into()),
        // zone and language
        (
            "timezone Europe/London".into(),
            "timezone Europe/London".into(),
        ),
        (
            "tz america/new_york".into(),
            "timezone america/new_york".into(),
        ),
        (
            "timezone America/New York".into(),
            "timezone America/New_York".into(),
        ),
        ("timezone".into(), "timezone show".into()),
        ("language de".into(), "language de".into()),
        ("lang fr".into(), "language fr".into()),
        ("language Deutsch".into(), "language Deutsch".into()),
        ("language".into(), "language show".into()),
        ("language de fr".into(), "error:language:unexpected".into()),
        // plans and billing
        ("plan".into(), "plan".into()),
        ("account".into(), "plan".into()),
        ("upgrade pro".into(), "upgrade pro".into()),
        ("upgrade Premium".into(), "upgrade premium".into()),
        ("upgrade to pro".into(), "upgrade pro".into()),
        ("/upgrade@DealwatchBot pro".into(), "upgrade pro".into()),
        ("upgrade".into(), "error:upgrade:missing-plan".into()),
        ("upgrade gold".into(), "error:upgrade:bad-plan".into()),
        ("billing".into(), "billing".into()),
        ("portal".into(), "billing".into()),
        // account linking
        ("link".into(), "link".into()),
        ("link ABC123".into(), "link code=ABC123".into()),
        ("link abc123".into(), "link code=ABC123".into()),
        ("link !!".into(), "error:link:bad-code".into()),
        ("link abc123 yes".into(), "link code=ABC123 yes".into()),
        ("link ABC123 oui".into(), "link code=ABC123 yes".into()),
        ("link ABC123 Ja".into(), "link code=ABC123 yes".into()),
        ("link ABC123 maybe".into(), "error:link:unexpected".into()),
        // carrier keywords
        ("STOP".into(), "stop".into()),
        ("stop".into(), "stop".into()),
        ("Stop.".into(), "stop".into()),
        ("UNSUBSCRIBE".into(), "stop".into()),
        ("cancel".into(), "stop".into()),
        ("end".into(), "stop".into()),
        ("quit".into(), "stop".into()),
        ("STOPALL".into(), "stop".into()),
        ("UNSTOP".into(), "unstop".into()),
        // not understood
        ("banana".into(), "unknown banana".into()),
        // A typo of a command that shows or adds is read as it; see
        // natural_phrasings_read_as_the_command_they_mean.
        (format!("wacth {U}"), format!("watch {U}")),
        ("lsit".into(), "list".into()),
        ("alrt tv".into(), "alert words=tv".into()),
        ("dlete 3".into(), "unknown dlete suggest=delete".into()),
        ("histroy 1".into(), "unknown histroy suggest=history".into()),
        (
            format!("please watch {U}"),
            "watch https://shop.example/p/1".into(),
        ),
        ("what can you do".into(), "help".into()),
        ("🎉🎉🎉".into(), "unknown 🎉🎉🎉".into()),
        ("'; DROP TABLE users; --".into(), "unknown ';".into()),
        ("مرحبا".into(), "unknown مرحبا".into()),
        ("".into(), "error::empty".into()),
        ("   ".into(), "error::empty".into()),
        ("\u{200b}\u{feff}".into(), "error::empty".into()),
        ("\u{1b}[31m\u{7}".into(), "unknown [31m".into()),
        ("x".repeat(5000), "error::too-long".into()),
    ];

    assert!(
        cases.len() >= 150,
        "the table must stay at 150 phrasings or more"
    );
    check(
        cases
            .iter()
            .map(|(input, expected)| (input.as_str(), expected.as_str())),
    );
}

/// Parse each input; fail with every row that reads otherwise than
/// expected.
fn check<'a>(cases: impl Iterator<Item = (&'a str, &'a str)>) {
    let mut failures = Vec::new();
    let mut count = 0;
    for (input, expected) in cases {
        count += 1;
        let got = describe(&parse(input));
        if got != expected {
            failures.push(format!(
                "{input:?}\n   expected {expected}\n   got      {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} phrasings wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Sentences people write instead of commands (issue 20, English and the
/// German and French command words so far): each with what it must read
/// as. A watch is never a search, and filler never becomes a search word.
#[test]
fn natural_phrasings_read_as_the_command_they_mean() {
    let cases: Vec<(String, &str)> = vec![
        // a product page in a sentence is a watch
        (
            "tell me when https://www.argos.co.uk/product/4667999 drops below £30".into(),
            "watch https://www.argos.co.uk/product/4667999 below=30GBP",
        ),
        (
            "let me know if https://www.johnlewis.com/p/123 is back in stock".into(),
            "watch https://www.johnlewis.com/p/123 stock",
        ),
        (
            "notify me if https://www.johnlewis.com/p/123 is back in stock".into(),
            "watch https://www.johnlewis.com/p/123 stock",
        ),
        (
            format!("watch this for under 40 quid {U}"),
            "watch https://shop.example/p/1 below=40GBP",
        ),
        (
            format!("ping me when {U} is under €25"),
            "watch https://shop.example/p/1 below=25EUR",
        ),
        (
            format!("can you keep an eye on {U} pls"),
            "watch https://shop.example/p/1",
        ),
        (
            format!("alert me if {U} drops 20%"),
            "watch https://shop.example/p/1 drop=20",
        ),
        (
            format!("tell me when {U} gets cheaper than 99.99"),
            "watch https://shop.example/p/1 below=99.99",
        ),
        // deal searches: filler is never a search word
        (
            "alert me about ps5 deals under 400 quid".into(),
            "alert words=ps5 max=400GBP",
        ),
        (
            "ping me about cheap 4K TVs under £500 but not Samsung".into(),
            "alert words=4k,tvs excl=samsung max=500GBP",
        ),
        ("tell me about any lego offers".into(), "alert words=lego"),
        (
            "let me know about nintendo switch deals below 250".into(),
            "alert words=nintendo,switch max=250",
        ),
        (
            "i'm looking for a gaming laptop under £900".into(),
            "alert words=gaming,laptop max=900GBP",
        ),
        (
            "look for air fryer deals please".into(),
            "alert words=air,fryer",
        ),
        (
            "find me some cheap headphones".into(),
            "alert words=headphones",
        ),
        (
            "keep an eye out for dyson v15".into(),
            "alert words=dyson,v15",
        ),
        // the list
        ("what am I watching?".into(), "list"),
        ("what am i watching".into(), "list"),
        ("show my alerts".into(), "list"),
        ("show me my watches".into(), "list"),
        ("my alerts".into(), "list"),
        ("what are my alerts?".into(), "list"),
        ("list my watches please".into(), "list"),
        // stopping items
        ("stop watching 1".into(), "delete 1"),
        ("stop watching #2".into(), "delete 2"),
        ("stop tracking 3 and 4".into(), "delete 3,4"),
        ("cancel alert 3".into(), "delete 3"),
        ("remove alert #5".into(), "delete 5"),
        ("delete 2-5".into(), "delete 2,3,4,5"),
        ("pause 1-3".into(), "pause 1,2,3"),
        ("cancel my subscription".into(), "billing"),
        ("remove the ps5 alert".into(), "delete-named ps5"),
        ("stop watching the kettle".into(), "delete-named kettle"),
        (
            "delete my lego star wars alert".into(),
            "delete-named lego,star,wars",
        ),
        ("pause everything".into(), "pause all"),
        ("pause all my alerts".into(), "pause all"),
        ("resume all".into(), "resume all"),
        ("pausieren alles".into(), "pause all"),
        ("reprendre tout".into(), "resume all"),
        ("thanks!".into(), "thanks"),
        ("thank you so much".into(), "thanks"),
        ("cheers mate".into(), "thanks"),
        ("merci beaucoup".into(), "thanks"),
        ("vielen dank".into(), "thanks"),
        // quiet hours, the digest, the time zone, an item's prices
        ("no messages after 11pm".into(), "quiet 23:00-08:00"),
        ("no alerts after 10 until 7am".into(), "quiet 22:00-07:00"),
        (
            "don't message me between 10pm and 7am".into(),
            "quiet 22:00-07:00",
        ),
        (
            "no notifications at night please".into(),
            "quiet 22:00-08:00",
        ),
        (
            "send me one summary every morning".into(),
            "digest daily 08:00",
        ),
        ("a daily roundup at 7pm".into(), "digest daily 19:00"),
        (
            "weekly summary on friday evening".into(),
            "digest weekly friday 18:00",
        ),
        ("I'm in Berlin".into(), "timezone berlin"),
        ("my time zone is New York".into(), "timezone new_york"),
        ("i live in los angeles".into(), "timezone los_angeles"),
        ("how much is #3 now".into(), "history 3"),
        ("how much is 3 now?".into(), "history 3"),
        ("price of #2".into(), "history 2"),
        // German sentences
        (
            format!("sag mir bescheid, wenn {U} unter 30 € fällt"),
            "watch https://shop.example/p/1 below=30EUR",
        ),
        (
            format!("benachrichtige mich, wenn {U} wieder auf Lager ist"),
            "watch https://shop.example/p/1 stock",
        ),
        (
            "benachrichtige mich über günstige ps5 angebote unter 400 €".into(),
            "alert words=ps5 max=400EUR",
        ),
        (
            "ich suche billige kopfhörer".into(),
            "alert words=kopfhörer",
        ),
        ("was beobachte ich?".into(), "list"),
        ("zeig mir meine alarme".into(), "list"),
        ("keine nachrichten nach 23 uhr".into(), "quiet 23:00-08:00"),
        (
            "keine nachrichten zwischen 22 und 7".into(),
            "quiet 22:00-07:00",
        ),
        (
            "jeden morgen eine zusammenfassung".into(),
            "digest daily 08:00",
        ),
        ("ich bin in Berlin".into(), "timezone berlin"),
        // French sentences
        (
            format!("préviens-moi quand {U} passe sous 30 €"),
            "watch https://shop.example/p/1 below=30EUR",
        ),
        (
            format!("préviens-moi si {U} est de nouveau en stock"),
            "watch https://shop.example/p/1 stock",
        ),
        (
            format!("surveille {U} pour moins de 40 €"),
            "watch https://shop.example/p/1 below=40EUR",
        ),
        (
            "préviens-moi pour des promos ps5 à moins de 400 €".into(),
            "alert words=ps5 max=400EUR",
        ),
        (
            "je cherche des écouteurs pas chers".into(),
            "alert words=écouteurs",
        ),
        ("qu'est-ce que je surveille ?".into(), "list"),
        ("montre mes alertes".into(), "list"),
        ("pas de messages après 23h".into(), "quiet 23:00-08:00"),
        ("un résumé chaque matin".into(), "digest daily 08:00"),
        ("je suis à Paris".into(), "timezone paris"),
        // typos of commands that only show or add
        (
            format!("wacth {U} below £30"),
            "watch https://shop.example/p/1 below=30GBP",
        ),
        ("alret lego under 50".into(), "alert words=lego max=50"),
        ("lsit".into(), "list"),
        // the other languages' command words
        ("liste".into(), "list"),
        ("Liste".into(), "list"),
        ("aide".into(), "help"),
        ("hilfe".into(), "help"),
        (
            format!("surveiller {U} sous 30 €"),
            "watch https://shop.example/p/1 below=30EUR",
        ),
        (
            format!("beobachten {U} unter 50 €"),
            "watch https://shop.example/p/1 below=50EUR",
        ),
        ("alerte ps5 sous 400".into(), "alert words=ps5 max=400"),
        ("alarm ps5 unter 400".into(), "alert words=ps5 max=400"),
        ("pausieren 2".into(), "pause 2"),
        ("löschen 2".into(), "delete 2"),
        ("supprimer 2".into(), "delete 2"),
        ("reprendre 2".into(), "resume 2"),
    ];
    check(
        cases
            .iter()
            .map(|(input, expected)| (input.as_str(), *expected)),
    );
}

/// Whether a reading creates or changes something (a watch, an alert, a
/// change to an item or a setting): what a wrong reading must never do.
fn creates(parsed: &Result<Command, ParseError>) -> bool {
    matches!(
        parsed,
        Ok(Command::Watch(_)
            | Command::Alert(_)
            | Command::AlertTo { .. }
            | Command::Delete(_)
            | Command::Pause(_)
            | Command::Resume(_)
            | Command::PauseAll
            | Command::ResumeAll
            | Command::DeleteMatching(_)
            | Command::Name { .. }
            | Command::Community(_)
            | Command::Upgrade(_)
            | Command::Stop
            | Command::Quiet(Some(_))
            | Command::Digest(Some(_))
            | Command::Cap(Some(_))
            | Command::Timezone(Some(_))
            | Command::Language(Some(_)))
    )
}

/// What must create nothing: questions, thanks, chit-chat, complaints, and
/// commands whose ids or range cannot be right. None of these may read as
/// a watch, an alert, a change to an item or a change of a setting.
#[test]
fn chatter_and_questions_create_nothing() {
    let chatter = [
        "thanks",
        "thank you!",
        "cheers mate",
        "thanks but all my alerts are wrong",
        "ok",
        "how are you?",
        "is this a scam",
        "what's the weather like",
        "why didn't I get an alert yesterday",
        "this bot is rubbish",
        "lol",
        "👍",
        "are you a real person?",
        "what can you do",
        "tell me a joke",
        "i want",
        "look for",
        "stop watching",
        "stop watching everything now",
        "remove the",
        "delete 5-2",
        "delete 1-4000000000",
        "cancel my dinner",
        "remove the alert",
        "dlete 3",
        "puase 2",
        "quite 22:00-07:00",
        "ich suche meine brille",
        "je cherche mon téléphone",
        "keine ahnung",
        "pas de problème",
        "je suis à la maison depuis 3 jours",
        "stop watching it",
        "delete all my data and the whole history of everything",
        "can you find cheaper prices somewhere",
        "where is my order",
        "my alerts are wrong",
        "i'm in trouble with 3 orders",
        "how much is it",
        "no idea",
        "no messages",
        "i want a summary of my life story",
        "give me a summary of my order",
        "no messages yet?",
        "tell me about yourself",
        "let me know about my refund",
        "ping me about it",
        "find me a girlfriend",
        "send me the link again",
        "i want to talk to a human",
        "look for my last message",
    ];
    let mut wrong = Vec::new();
    for text in chatter {
        let parsed = parse(text);
        if creates(&parsed) {
            wrong.push(format!("{text:?} -> {}", describe(&parsed)));
        }
    }
    assert!(wrong.is_empty(), "created something:\n{}", wrong.join("\n"));
}

/// One row of a phrasing table: what was typed, what it must read as, the
/// reading and its description.
fn read_row<'a>(
    lang: &str,
    line: &'a str,
) -> (&'a str, &'a str, Result<Command, ParseError>, String) {
    let (input, expected) = line
        .split_once('\t')
        .unwrap_or_else(|| panic!("{lang}: no tab in {line:?}"));
    let parsed = parse(input);
    let got = describe(&parsed);
    (input, expected, parsed, got)
}

/// Issue 20's measure, per language: `tests/phrasings/LANG.tsv` holds what
/// people type (a few as they really type it: no capitals, typos, emoji)
/// and what it must read as; `LANG-nothing.txt` sentences that must create
/// nothing. Each phrasing is understood (read as meant), asked back (the
/// likely readings offered as buttons, nothing created), not understood
/// (nothing created, the usual "I don't know"), or wrong (something else
/// created or changed). `cargo test --test parse_table phrasing_tables --
/// --nocapture` prints the shares (docs/PERFORMANCE.md).
#[test]
fn phrasing_tables_per_language() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/phrasings");
    let lines = |name: String| -> Vec<String> {
        std::fs::read_to_string(dir.join(&name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    let mut failures = Vec::new();
    for lang in ["en-GB", "de", "fr"] {
        let (mut understood, mut asked, mut unknown, mut wrong) = (0, 0, 0, Vec::new());
        let mut missed = Vec::new();
        let table = lines(format!("{lang}.tsv"));
        for line in &table {
            let (input, expected, parsed, got) = read_row(lang, line);
            if got == expected && expected.starts_with("unclear ") {
                asked += 1;
            } else if got == expected {
                understood += 1;
            } else if matches!(parsed, Ok(Command::Unclear(_))) {
                asked += 1;
                missed.push(format!("asked  {input:?} -> {got}"));
            } else if creates(&parsed) {
                wrong.push(format!(
                    "WRONG  {input:?}\n   expected {expected}\n   got      {got}"
                ));
            } else {
                unknown += 1;
                missed.push(format!("missed {input:?} -> {got} (expected {expected})"));
            }
        }
        // Held out: each set written before the parser saw it (the first
        // was then used to generalise it; the second has not been tuned
        // on). Nothing wrong is allowed here either; the share understood
        // is reported (docs/PERFORMANCE.md, as first measured), not
        // required.
        let mut held_out = lines(format!("{lang}-holdout.tsv"));
        let first_held_out = held_out.len();
        held_out.extend(lines(format!("{lang}-holdout2.tsv")));
        let (mut seen, mut held_wrong) = (0, Vec::new());
        for line in &held_out {
            let (input, expected, parsed, got) = read_row(lang, line);
            if got == expected {
                seen += 1;
            } else if creates(&parsed) {
                held_wrong.push(format!(
                    "WRONG (held out) {input:?}\n   expected {expected}\n   got      {got}"
                ));
            } else {
                missed.push(format!(
                    "held out, missed {input:?} -> {got} (expected {expected})"
                ));
            }
        }
        println!(
            "{lang}: held out: {} phrasings ({first_held_out} + {}): understood {seen}, wrong {}",
            held_out.len(),
            held_out.len() - first_held_out,
            held_wrong.len()
        );
        wrong.extend(held_wrong);
        let nothing = lines(format!("{lang}-nothing.txt"));
        let created: Vec<String> = nothing
            .iter()
            .filter(|text| creates(&parse(text)))
            .map(|text| format!("CREATED {text:?} -> {}", describe(&parse(text))))
            .collect();
        let n = table.len();
        let share = |k: usize| format!("{:.1} %", 100.0 * k as f64 / n as f64);
        println!(
            "{lang}: {n} phrasings: understood {understood} ({}), asked back {asked} ({}), \
             not understood {unknown} ({}), wrong {} ({}); {} sentences: {} created something",
            share(understood),
            share(asked),
            share(unknown),
            wrong.len(),
            share(wrong.len()),
            nothing.len(),
            created.len()
        );
        for line in missed.iter().chain(&wrong).chain(&created) {
            println!("  {line}");
        }
        if n < 300 || nothing.len() < 50 {
            failures.push(format!(
                "{lang}: only {n} phrasings and {} sentences",
                nothing.len()
            ));
        }
        if wrong.len() * 100 > n || understood * 100 < 95 * n || !created.is_empty() || asked == 0 {
            failures.push(format!(
                "{lang}: understood {understood} of {n}, wrong {}, created {}",
                wrong.len(),
                created.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
