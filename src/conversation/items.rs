//! Purpose: watches and deal rules in the conversation: `watch`, `alert`,
//! `list`, `pause`/`resume`/`delete`, `test` and `history`, and how they read back.

use super::*;

impl Session {
    // ----- watches and rules --------------------------------------------

    /// `watch URL [conditions]`: refused here for an address inside a
    /// network or a URL that is not one; else a watch to add.
    pub(super) fn watch(&self, spec: WatchSpec) -> Decision {
        if !self.core.options.allow_private_hosts {
            if let Some(refusal) = urls::refusal(&spec.url) {
                let id = match refusal {
                    urls::UrlRefusal::PrivateAddress => "watch-refused-private",
                    urls::UrlRefusal::LocalName => "watch-refused-local",
                };
                return Decision::reply(vec![Outgoing::text(self.tr().msg(id, &[]))]);
            }
        }
        let Some(canonical) = urls::canonicalize(&spec.url) else {
            return Decision::reply(vec![self.parse_error(&ParseError {
                command: "watch",
                problem: Problem::BadUrl {
                    text: spec.url.clone(),
                },
            })]);
        };
        Decision::change(Effect::AddWatch {
            watch: NewWatch {
                canonical_url: canonical.url,
                host: canonical.host,
                target: spec.target,
                drop_percent: spec.drop_percent,
                back_in_stock: spec.back_in_stock,
            },
            limit: self.limits().watches,
        })
    }

    pub(super) fn watch_added(&self, watch: &NewWatch, outcome: AddOutcome) -> Vec<Outgoing> {
        let (id, no) = match outcome {
            AddOutcome::Created(no) => ("watch-created", no),
            AddOutcome::Updated(no) => ("watch-updated", no),
            AddOutcome::LimitReached { limit } => {
                return vec![Outgoing::text(self.limit_text("limit-watches", limit))]
            }
        };
        let conditions = self.conditions(watch.target, watch.drop_percent, watch.back_in_stock);
        let text = self.tr().msg(
            id,
            &[
                ("id", id_arg(no)),
                ("url", watch.canonical_url.clone().into()),
                ("conditions", conditions.into()),
            ],
        );
        vec![self.item_buttons(Outgoing::text(text), no, ItemKind::Watch)]
    }

    /// `alert WORDS to NAME`: when NAME is one of the person's communities
    /// the rule posts there; otherwise the whole message is the alert
    /// ("flights to paris" stays words unless they have a community paris).
    pub(super) async fn alert_to(
        &self,
        spec: RuleSpec,
        to: &str,
        plain: RuleSpec,
    ) -> Result<Decision, CoreError> {
        if self.group.is_none() {
            if let Some(d) = self
                .core
                .store
                .destinations()
                .named(self.user.id, to)
                .await?
            {
                return Ok(Decision::change(Effect::AddRule {
                    spec,
                    community: Some((d.id, d.name)),
                    note: None,
                    limit: self.limits().community_rules,
                }));
            }
        }
        self.alert(plain).await
    }

    /// `alert WORDS [conditions]`. In a shared chat, someone allowed to
    /// manage it makes an alert that posts there (it belongs to the chat's
    /// community, whose owner's plan sets the limits); anyone else gets a
    /// private rule and is told why.
    pub(super) async fn alert(&self, spec: RuleSpec) -> Result<Decision, CoreError> {
        let private = |note: Option<&'static str>| {
            Ok(Decision::change(Effect::AddRule {
                spec: spec.clone(),
                community: None,
                note,
                limit: self.limits().rules,
            }))
        };
        let Some(group) = &self.group else {
            return private(None);
        };
        if !group.sender_can_manage {
            return private(Some("rule-community-not-allowed"));
        }
        if !group.we_can_post {
            return private(Some("rule-community-no-access"));
        }
        let Some(kind) = crate::storage::chat_kind(self.identity.channel, group.kind) else {
            return private(None);
        };
        let existing = self
            .core
            .store
            .destinations()
            .chat(kind, &group.address)
            .await?;
        let rule_limit = match existing {
            Some(d) if d.owner != self.user.id => {
                let owner = self.core.store.users().user(d.owner).await?;
                self.core.plans.limits(owner.plan).community_rules
            }
            _ => self.limits().community_rules,
        };
        let chat = crate::storage::NewDestination {
            kind,
            name: group.title.clone().unwrap_or_default(),
            external_id: group.address.clone(),
            sealed_secret: None,
            channel_id: Some(group.address.clone()),
            guild_id: group.server.clone(),
        };
        Ok(Decision::change(Effect::AddChatRule {
            spec,
            chat,
            rule_limit,
            community_limit: self.limits().communities,
        })
        .public())
    }

    /// The answer once a rule is stored: the person's own, one for their
    /// community `community` (named from a private chat), or one for the
    /// shared chat it was typed in (`in_chat`).
    pub(super) fn rule_added(
        &self,
        spec: &RuleSpec,
        community: Option<&str>,
        in_chat: bool,
        note: Option<&str>,
        outcome: AddOutcome,
    ) -> Vec<Outgoing> {
        let no = match outcome {
            AddOutcome::Created(no) | AddOutcome::Updated(no) => no,
            AddOutcome::LimitReached { limit } if community.is_some() => {
                return vec![Outgoing::text(self.tr().msg(
                    "community-rules-limit",
                    &[
                        ("name", community.unwrap_or_default().to_owned().into()),
                        ("max", i64::from(limit).into()),
                    ],
                ))]
            }
            AddOutcome::LimitReached { limit } => {
                return vec![Outgoing::text(self.limit_text("limit-rules", limit))]
            }
        };
        let tr = self.tr();
        let id = match (community, in_chat) {
            (Some(_), true) => "rule-created-community",
            (Some(_), false) => "rule-created-destination",
            (None, _) => "rule-created",
        };
        let mut text = tr.msg(
            id,
            &[
                ("id", id_arg(no)),
                ("summary", self.rule_summary(spec).into()),
                ("name", community.unwrap_or_default().to_owned().into()),
            ],
        );
        if let Some(note) = note {
            text.push('\n');
            text.push_str(&tr.msg(note, &[]));
        }
        let message = Outgoing::text(text);
        if in_chat {
            // Pressed in the chat by anyone: the chat's own commands, which
            // check that whoever pressed may manage it.
            return vec![message
                .with_button(tr.msg("button-pause", &[]), format!("community pause {no}"))
                .with_button(
                    tr.msg("button-delete", &[]),
                    format!("community delete {no}"),
                )];
        }
        vec![self.item_buttons(message, no, ItemKind::Rule)]
    }

    pub(super) fn limit_text(&self, id: &str, limit: u32) -> String {
        let tr = self.tr();
        let plan = tr.msg(&format!("plan-name-{}", self.user.plan.as_str()), &[]);
        let next = match self.user.plan {
            Plan::Free => "pro",
            Plan::Pro | Plan::Premium => "premium",
        };
        let mut text = tr.msg(
            id,
            &[("plan", plan.into()), ("limit", i64::from(limit).into())],
        );
        if self.user.plan != Plan::Premium {
            text.push('\n');
            text.push_str(&tr.msg("limit-upgrade-hint", &[("next", next.into())]));
        }
        text
    }

    pub(super) fn item_buttons(&self, message: Outgoing, no: ItemNo, kind: ItemKind) -> Outgoing {
        let tr = self.tr();
        let message = message
            .with_button(tr.msg("button-pause", &[]), format!("pause {no}"))
            .with_button(tr.msg("button-delete", &[]), format!("delete {no}"));
        match kind {
            ItemKind::Watch => {
                message.with_button(tr.msg("button-history", &[]), format!("history {no}"))
            }
            ItemKind::Rule => message.with_button(tr.msg("button-test", &[]), format!("test {no}")),
        }
    }

    /// "when it costs £40.00 or less, or when it drops by 10%".
    pub(super) fn conditions(
        &self,
        target: Option<PriceSpec>,
        drop: Option<rust_decimal::Decimal>,
        stock: bool,
    ) -> String {
        let tr = self.tr();
        let mut parts = Vec::new();
        if let Some(target) = target {
            parts.push(tr.msg(
                "condition-target",
                &[("price", self.price_spec(target).into())],
            ));
        }
        if let Some(drop) = drop {
            parts.push(tr.msg("condition-drop", &[("percent", tr.percent(drop).into())]));
        }
        if stock {
            parts.push(tr.msg("condition-stock", &[]));
        }
        if parts.is_empty() {
            parts.push(tr.msg("condition-any-drop", &[]));
        }
        parts.join(&tr.msg("word-or", &[]))
    }

    /// A price as the user gave it: with its currency when they named one.
    pub(super) fn price_spec(&self, price: PriceSpec) -> String {
        let tr = self.tr();
        match price.currency {
            Some(currency) => tr.money(crate::money::Money::new(price.amount, currency)),
            None => tr.number(price.amount),
        }
    }

    pub(super) fn rule_summary(&self, rule: &RuleSpec) -> String {
        let tr = self.tr();
        let mut parts = vec![rule.words.join(", ")];
        if !rule.excluded.is_empty() {
            parts.push(tr.msg(
                "rule-excluded",
                &[("words", rule.excluded.join(", ").into())],
            ));
        }
        if let Some(max) = rule.max_price {
            parts.push(tr.msg("rule-under", &[("price", self.price_spec(max).into())]));
        }
        if let Some(min) = rule.min_price {
            parts.push(tr.msg("rule-over", &[("price", self.price_spec(min).into())]));
        }
        if let Some(category) = &rule.category {
            parts.push(tr.msg("rule-category", &[("category", category.clone().into())]));
        }
        if let Some(score) = rule.min_score {
            parts.push(
                tr.msg(
                    "rule-score",
                    &[(
                        "score",
                        tr.percent(score * rust_decimal::Decimal::ONE_HUNDRED)
                            .into(),
                    )],
                ),
            );
        }
        if let Some(condition) = rule.condition {
            parts.push(tr.msg(&format!("condition-{}", condition.as_str()), &[]));
        }
        parts.join(" · ")
    }

    /// "remove the ps5 alert": the one own item whose words, name, title
    /// or link hold every word given is deleted; when several do, each is
    /// offered as a button and nothing is deleted until one is pressed;
    /// when none does, the person is told.
    pub(super) async fn delete_matching(&self, words: &[String]) -> Result<Decision, CoreError> {
        let items = self.core.store.items().of(self.user.id).await?;
        let matching: Vec<&Item> = items
            .iter()
            .filter(|item| item_is_named(item, words))
            .collect();
        let tr = self.tr();
        let said = words.join(" ");
        match matching.as_slice() {
            [] => Ok(Decision::reply(vec![Outgoing::text(
                tr.msg("delete-none-named", &[("words", said.into())]),
            )])),
            [one] => Ok(Decision::change(Effect::Delete {
                ids: vec![one.no()],
            })),
            several => {
                let mut ask = Outgoing::text(tr.msg("delete-which", &[("words", said.into())]));
                for item in several.iter().take(5) {
                    let label = format!("#{} {}", item.no(), item_name(item));
                    let label: String = label.chars().take(60).collect();
                    ask = ask.with_button(label, format!("delete {}", item.no()));
                }
                Ok(Decision::reply(vec![ask]))
            }
        }
    }

    pub(super) async fn list(&self) -> Result<Vec<Outgoing>, CoreError> {
        let items = self.core.store.items().of(self.user.id).await?;
        let tr = self.tr();
        if items.is_empty() {
            return one(tr.msg("list-empty", &[]));
        }
        let posts_to_community = items
            .iter()
            .any(|item| matches!(item, Item::Rule(r) if r.community.is_some()));
        let destinations = match posts_to_community {
            true => self.core.store.destinations().of(self.user.id).await?,
            false => Vec::new(),
        };
        let mut lines = vec![tr.msg("list-header", &[("count", (items.len() as i64).into())])];
        for item in &items {
            let mut line = match item {
                Item::Watch(w) => tr.msg(
                    "list-watch",
                    &[
                        ("id", id_arg(w.no)),
                        (
                            "name",
                            self.labelled_as(w.label.as_deref(), self.watch_name(w))
                                .into(),
                        ),
                        ("status", self.watch_status(w).into()),
                        (
                            "conditions",
                            self.conditions(w.target, w.drop_percent, w.back_in_stock)
                                .into(),
                        ),
                    ],
                ),
                Item::Rule(r) => {
                    let mut line = tr.msg(
                        "list-rule",
                        &[
                            ("id", id_arg(r.no)),
                            (
                                "summary",
                                self.labelled_as(r.label.as_deref(), self.rule_summary(&r.spec))
                                    .into(),
                            ),
                        ],
                    );
                    let destination = r
                        .community
                        .and_then(|id| destinations.iter().find(|d| d.id == id));
                    match destination {
                        Some(d) => line.push_str(
                            &tr.msg("list-rule-destination", &[("name", d.name.clone().into())]),
                        ),
                        None if r.post_to.is_some() || r.community.is_some() => {
                            line.push_str(&tr.msg("list-rule-community", &[]));
                        }
                        None => {}
                    }
                    line
                }
            };
            if item.state() == ItemState::Paused {
                line.push_str(&tr.msg("state-paused", &[]));
            }
            lines.push(line);
        }
        one(lines.join("\n"))
    }

    /// What a list line calls an item: its name first, when it has one.
    fn labelled_as(&self, label: Option<&str>, what: String) -> String {
        match label {
            Some(label) => self.tr().msg(
                "list-labelled",
                &[("label", label.to_owned().into()), ("what", what.into())],
            ),
            None => what,
        }
    }

    pub(super) fn watch_name(&self, watch: &WatchItem) -> String {
        let name = watch.title.as_deref().unwrap_or(&watch.url);
        if name.chars().count() > TITLE_CHARS {
            name.chars().take(TITLE_CHARS - 1).collect::<String>() + "…"
        } else {
            name.to_owned()
        }
    }

    pub(super) fn watch_status(&self, watch: &WatchItem) -> String {
        let tr = self.tr();
        match (watch.last_checked_at, watch.price, watch.availability) {
            (None, _, _) => tr.msg("status-pending", &[]),
            (Some(_), _, crate::model::Availability::OutOfStock) => {
                tr.msg("status-out-of-stock", &[])
            }
            (Some(_), Some(price), _) => tr.money(price),
            (Some(_), None, _) => tr.msg("status-no-price", &[]),
        }
    }

    /// One line per item paused or resumed.
    pub(super) fn states_changed(
        &self,
        state: ItemState,
        changes: &[(ItemNo, StateChange)],
    ) -> Vec<Outgoing> {
        let tr = self.tr();
        let lines: Vec<String> = changes
            .iter()
            .map(|&(no, change)| match (change, state) {
                (StateChange::Changed(_), ItemState::Paused) => {
                    tr.msg("paused", &[("id", id_arg(no))])
                }
                (StateChange::Changed(_), ItemState::Active) => {
                    tr.msg("resumed", &[("id", id_arg(no))])
                }
                (StateChange::Unchanged(_), ItemState::Paused) => {
                    tr.msg("already-paused", &[("id", id_arg(no))])
                }
                (StateChange::Unchanged(_), ItemState::Active) => {
                    tr.msg("already-active", &[("id", id_arg(no))])
                }
                (StateChange::NotFound, _) => tr.msg("not-found", &[("id", id_arg(no))]),
                (StateChange::LimitReached { kind, limit }, _) => {
                    let id = match kind {
                        ItemKind::Watch => "limit-watches",
                        ItemKind::Rule => "limit-rules",
                    };
                    self.limit_text(id, limit)
                }
            })
            .collect();
        vec![Outgoing::text(lines.join("\n"))]
    }

    /// One line per item deleted (`true`) or not found.
    pub(super) fn deleted(&self, deleted: &[(ItemNo, bool)]) -> Vec<Outgoing> {
        let tr = self.tr();
        let lines: Vec<String> = deleted
            .iter()
            .map(|&(no, found)| {
                let id = if found { "deleted" } else { "not-found" };
                tr.msg(id, &[("id", id_arg(no))])
            })
            .collect();
        vec![Outgoing::text(lines.join("\n"))]
    }

    /// The answer to `name ID [TEXT]`.
    pub(super) fn labelled(&self, no: ItemNo, label: Option<&str>, found: bool) -> Vec<Outgoing> {
        let tr = self.tr();
        let text = match (found, label) {
            (false, _) => tr.msg("not-found", &[("id", id_arg(no))]),
            (true, Some(label)) => tr.msg(
                "name-set",
                &[("id", id_arg(no)), ("label", label.to_owned().into())],
            ),
            (true, None) => tr.msg("name-cleared", &[("id", id_arg(no))]),
        };
        vec![Outgoing::text(text)]
    }

    pub(super) async fn test(&self, no: ItemNo) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let rule = match self.core.store.items().item(self.user.id, no).await? {
            None => return one(tr.msg("not-found", &[("id", id_arg(no))])),
            Some(Item::Watch(_)) => return one(tr.msg("test-not-rule", &[("id", id_arg(no))])),
            Some(Item::Rule(rule)) => rule,
        };
        let since = self.now - i64::from(TEST_WINDOW_DAYS) * 86_400;
        let deals = self
            .core
            .store
            .products()
            .recent_deals(since, TEST_DEAL_LIMIT)
            .await?;
        let matching: Vec<_> = deals
            .iter()
            .filter(|d| rules::matches(&rule.spec, &d.facts()))
            .collect();
        let days = Arg::from(i64::from(TEST_WINDOW_DAYS));
        if matching.is_empty() {
            return one(tr.msg("test-none", &[("id", id_arg(no)), ("days", days)]));
        }
        let mut lines = vec![tr.msg(
            "test-result",
            &[
                ("id", id_arg(no)),
                ("count", (matching.len() as i64).into()),
                ("days", days),
            ],
        )];
        for deal in matching.iter().take(TEST_SAMPLES) {
            let price = deal.price.map(|p| tr.money(p)).unwrap_or_default();
            lines.push(tr.msg(
                "test-sample",
                &[
                    ("title", deal.title.clone().into()),
                    ("price", price.into()),
                    ("url", deal.url.clone().into()),
                ],
            ));
        }
        one(lines.join("\n"))
    }

    pub(super) async fn history(&self, no: ItemNo) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let watch = match self.core.store.items().item(self.user.id, no).await? {
            None => return one(tr.msg("not-found", &[("id", id_arg(no))])),
            Some(Item::Rule(_)) => return one(tr.msg("history-not-watch", &[("id", id_arg(no))])),
            Some(Item::Watch(watch)) => watch,
        };
        let points = self
            .core
            .store
            .products()
            .price_history(watch.product_id, 10_000)
            .await?;
        let priced: Vec<_> = points
            .iter()
            .filter_map(|p| p.price.map(|m| (m, p.observed_at)))
            .collect();
        let (Some(first), Some(current)) = (priced.first(), priced.last()) else {
            return one(tr.msg("history-empty", &[("id", id_arg(no))]));
        };
        // Only compare prices in the currency the product is sold in now.
        let same: Vec<_> = priced
            .iter()
            .filter(|(m, _)| m.currency == current.0.currency)
            .collect();
        let lowest = same
            .iter()
            .min_by_key(|(m, _)| m.amount)
            .map_or(current.0, |(m, _)| *m);
        let highest = same
            .iter()
            .max_by_key(|(m, _)| m.amount)
            .map_or(current.0, |(m, _)| *m);
        let summary = Outgoing::text(tr.msg(
            "history-summary",
            &[
                ("id", id_arg(no)),
                ("name", self.watch_name(&watch).into()),
                ("current", tr.money(current.0).into()),
                ("lowest", tr.money(lowest).into()),
                ("highest", tr.money(highest).into()),
                ("points", (priced.len() as i64).into()),
                ("since", tr.date(first.1, &self.zone()).into()),
            ],
        ));
        if !self.identity.channel.has_images() {
            return Ok(vec![summary]);
        }
        let series: Vec<(Money, i64)> = same.iter().map(|p| **p).collect();
        let title = self.watch_name(&watch);
        // Drawing takes milliseconds of CPU: off the async threads.
        let l10n = self.core.l10n.clone();
        let locale = self.user.settings.locale.clone();
        let (now, zone) = (self.now, self.zone());
        let drawn = tokio::task::spawn_blocking(move || {
            chart::price_chart(&title, &series, now, &l10n.tr(&locale), &zone)
        })
        .await;
        match drawn {
            Ok(Ok(png)) => Ok(vec![summary.with_image(Image {
                png,
                file_name: "chart.png".to_owned(),
            })]),
            // The numbers still answer the question.
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "price chart not drawn");
                Ok(vec![summary])
            }
            Err(e) => {
                tracing::warn!(error = %e, "price chart task failed");
                Ok(vec![summary])
            }
        }
    }
}

/// Whether every word names this item: a rule's words, a watch's title or
/// link, or the name its owner gave it. A community's rules are its
/// managers', never deleted from a private chat by their words.
fn item_is_named(item: &Item, words: &[String]) -> bool {
    let text = match item {
        Item::Watch(w) => format!(
            "{} {} {}",
            w.title.as_deref().unwrap_or_default(),
            w.url,
            w.label.as_deref().unwrap_or_default()
        ),
        Item::Rule(r) if r.community.is_some() => return false,
        Item::Rule(r) => format!(
            "{} {}",
            r.spec.words.join(" "),
            r.label.as_deref().unwrap_or_default()
        ),
    }
    .to_lowercase();
    !words.is_empty() && words.iter().all(|w| text.contains(&w.to_lowercase()))
}

/// What an item is called on a button: its name, else its words or title.
fn item_name(item: &Item) -> String {
    match item {
        Item::Watch(w) => w
            .label
            .clone()
            .or_else(|| w.title.clone())
            .unwrap_or_else(|| w.url.clone()),
        Item::Rule(r) => r.label.clone().unwrap_or_else(|| r.spec.words.join(" ")),
    }
}
