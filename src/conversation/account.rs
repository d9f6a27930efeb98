//! Purpose: the account in the conversation: link codes and joining
//! accounts, `upgrade`, `billing` and `plan`.

use super::*;

fn reply(text: String) -> Result<Decision, CoreError> {
    Ok(Decision::reply(vec![Outgoing::text(text)]))
}

impl Session {
    pub(super) fn link_code_made(&self, code: &str) -> Vec<Outgoing> {
        let minutes = Arg::from(LINK_CODE_TTL_SECS / 60);
        let text = self
            .tr()
            .msg("link-code", &[("code", code.into()), ("minutes", minutes)]);
        vec![Outgoing::text(text)]
    }

    /// What `link CODE yes` did (the session is the joined account's by now).
    pub(super) fn linked(&self, outcome: LinkOutcome) -> Vec<Outgoing> {
        let id = match outcome {
            LinkOutcome::Linked { .. } => "link-done",
            LinkOutcome::BothPaying => "link-both-paying",
            LinkOutcome::AlreadyLinked => "link-same",
            LinkOutcome::Invalid => "link-invalid",
        };
        vec![Outgoing::text(self.tr().msg(id, &[]))]
    }

    pub(super) async fn link_preview(&self, code: &str) -> Result<Vec<Outgoing>, CoreError> {
        let preview = self
            .core
            .store
            .users()
            .link_preview(code, self.user.id, self.now)
            .await?;
        let tr = self.tr();
        let Some(preview) = preview else {
            return one(tr.msg("link-invalid", &[]));
        };
        if preview.same_account {
            return one(tr.msg("link-same", &[]));
        }
        let apps: Vec<String> = preview
            .channels
            .iter()
            .map(|c| tr.msg("channel-name", &[("channel", c.as_str().into())]))
            .collect();
        let text = tr.msg(
            "link-confirm",
            &[
                ("code", code.into()),
                ("apps", apps.join(", ").into()),
                ("plan", self.plan_name(preview.plan).into()),
                ("watches", Arg::from(i64::from(preview.watches))),
                ("alerts", Arg::from(i64::from(preview.rules))),
                (
                    "channel",
                    tr.msg(
                        "channel-name",
                        &[("channel", self.identity.channel.as_str().into())],
                    )
                    .into(),
                ),
            ],
        );
        Ok(vec![Outgoing::text(text).with_button(
            tr.msg("link-confirm-button", &[]),
            format!("link {code} yes"),
        )])
    }

    pub(super) fn plan_name(&self, plan: Plan) -> String {
        self.tr().msg(&format!("plan-name-{}", plan.as_str()), &[])
    }

    /// `upgrade pro|premium`: a Checkout link; for someone who already pays,
    /// the portal, where the plan is switched (a second Checkout would make
    /// a second subscription). Stripe is asked through a [`Lookup`].
    pub(super) async fn upgrade(&self, paid: PaidPlan) -> Result<Decision, CoreError> {
        let tr = self.tr();
        if !self.core.platforms.sells() {
            return reply(tr.msg("upgrade-unavailable", &[]));
        }
        if self.user.plan >= paid.plan() {
            let plan = self.plan_name(self.user.plan);
            return reply(tr.msg("upgrade-already", &[("plan", plan.into())]));
        }
        let customer = self
            .core
            .store
            .billing()
            .stripe_customer(self.user.id)
            .await?;
        let (lookup, message, plan) = match (customer, self.user.plan) {
            (Some(customer), Plan::Pro | Plan::Premium) => (
                Lookup::Portal {
                    customer,
                    locale: self.user.settings.locale.clone(),
                },
                "upgrade-change",
                self.user.plan,
            ),
            (customer, _) => {
                // A redelivered message makes the same attempt (and Stripe
                // returns the same session); the console, which has no
                // message ids, makes one per user, plan and minute.
                let attempt = match &self.message_id {
                    Some(id) => format!(
                        "{}:{}:{}:{id}",
                        self.user.id.0,
                        paid.plan().as_str(),
                        self.identity.channel.as_str()
                    ),
                    None => format!(
                        "{}:{}:{}",
                        self.user.id.0,
                        paid.plan().as_str(),
                        self.now / 60
                    ),
                };
                let request = CheckoutRequest {
                    user: self.user.id,
                    plan: paid,
                    customer,
                    locale: self.user.settings.locale.clone(),
                    attempt,
                };
                (Lookup::Checkout(request), "upgrade-link", paid.plan())
            }
        };
        let url = match self.link(lookup) {
            Ok(url) => url,
            Err(not_yet) => return Ok(not_yet),
        };
        Ok(Decision::reply(vec![Outgoing::text(tr.msg(
            message,
            &[("plan", self.plan_name(plan).into()), ("url", url.into())],
        ))
        .confidential(tr.msg(
            "payment-link-expired",
            &[(
                "command",
                format!("upgrade {}", paid.plan().as_str()).into(),
            )],
        ))]))
    }

    /// `billing`: a customer portal link, for someone who has paid before.
    pub(super) async fn billing(&self) -> Result<Decision, CoreError> {
        let tr = self.tr();
        if !self.core.platforms.sells() {
            return reply(tr.msg("billing-unavailable", &[]));
        }
        let Some(customer) = self
            .core
            .store
            .billing()
            .stripe_customer(self.user.id)
            .await?
        else {
            return reply(tr.msg("billing-none", &[]));
        };
        let lookup = Lookup::Portal {
            customer,
            locale: self.user.settings.locale.clone(),
        };
        let url = match self.link(lookup) {
            Ok(url) => url,
            Err(not_yet) => return Ok(not_yet),
        };
        Ok(Decision::reply(vec![Outgoing::text(
            tr.msg("billing-link", &[("url", url.into())]),
        )
        .confidential(tr.msg(
            "payment-link-expired",
            &[("command", "billing".into())],
        ))]))
    }

    /// The link Stripe made for `lookup`; else the decision to ask for it
    /// first, or the apology that it made none (the person hears at once:
    /// a retry of the whole message would keep them waiting).
    fn link(&self, lookup: Lookup) -> Result<String, Decision> {
        match self.facts.get(&lookup) {
            Some(Fact::Link(Ok(url))) => Ok(url.clone()),
            Some(_) => {
                self.core.metrics.error("billing");
                Err(Decision::reply(vec![Outgoing::text(
                    self.tr().msg("billing-failed", &[]),
                )]))
            }
            None => Err(Decision::ask(lookup)),
        }
    }

    pub(super) async fn plan(&self) -> Result<Vec<Outgoing>, CoreError> {
        let (watches, rules) = self.core.store.items().usage(self.user.id).await?;
        let limits = self.limits();
        let tr = self.tr();
        let secs = limits.check_interval.as_secs();
        let interval = if secs.is_multiple_of(3600) {
            tr.msg(
                "interval-hours",
                &[("hours", ((secs / 3600) as i64).into())],
            )
        } else {
            tr.msg(
                "interval-minutes",
                &[("minutes", (secs.div_ceil(60) as i64).into())],
            )
        };
        let mut text = tr.msg(
            "plan-show",
            &[
                (
                    "plan",
                    tr.msg(&format!("plan-name-{}", self.user.plan.as_str()), &[])
                        .into(),
                ),
                ("watches", i64::from(watches).into()),
                ("watchLimit", i64::from(limits.watches).into()),
                ("rules", i64::from(rules).into()),
                ("ruleLimit", i64::from(limits.rules).into()),
                ("interval", interval.into()),
                ("sms", i64::from(limits.sms_per_day).into()),
            ],
        );
        if let Some(renews) = self.user.plan_renews_at {
            text.push('\n');
            text.push_str(&tr.msg(
                "plan-renews",
                &[("date", tr.date(renews, &self.zone()).into())],
            ));
        }
        if self.user.plan != Plan::Premium {
            text.push('\n');
            text.push_str(&tr.msg("plan-upgrade-hint", &[]));
        }
        one(text)
    }
}
