# Dealwatch — English (United Kingdom). This is the reference locale:
# every other locale defines exactly these message ids (a test checks).
# Commands stay in English in every language; only their explanations change.

language-name = English

## Greeting and help

welcome =
    👋 Hi! I'm Dealwatch. I watch shop pages and deal feeds and message you when prices drop.
    Send me a product link to watch it, for example:
      watch https://shop.example/item below £40
    Or tell me what deals to look for:
      alert gaming pc -mac under 800
    Send help to see everything I can do.

help-overview =
    Here's what I understand:
    • watch URL [below PRICE] [drop N%] [instock] — watch a product page (or just send the link)
    • alert WORDS [-EXCLUDED] [under PRICE] [over PRICE] [in CATEGORY] [score N] [condition new|used|refurbished] [via CHANNEL] — look for deals
    • list — your watches and alerts
    • pause ID, resume ID, delete ID — manage them
    • test ID — recent deals an alert would have caught
    • history ID — a product's price history
    • name ID TEXT — give one a name you'll recognise
    • quiet 22:00-07:00, digest daily 08:00, cap 5 — when and how often I message you
    • timezone Europe/London, language de — your zone and language
    • settings — all your preferences
    • plan, upgrade pro, billing — your plan
    • community — post deals into a Discord channel: paste its webhook URL
    • link — use one account on several chat apps
    • STOP — no more messages
    Send help COMMAND for more on one command.

help-unknown-topic = There's no command called “{ $topic }”. Send help to see them all.

help-watch =
    { usage-watch }
    Watches one product page. I check it regularly and tell you when the price falls to your target, drops by the percentage you give, or the product is back in stock. With no condition, I tell you about every price drop.
    Examples: watch https://shop.example/item below £40 · https://shop.example/item drop 15% · watch https://shop.example/item instock
help-alert =
    { usage-alert }
    Looks for deals: any of the words matches, a word starting with - rules a deal out, and the other options narrow it down.
    Examples: alert gaming pc -mac under 800 · alert lego in toys score 40% · alert iphone condition refurbished under £300
help-list =
    { usage-list }
    Shows your watches and alerts with their numbers, state and current price.
help-pause =
    { usage-pause }
    Stops alerts from a watch or alert until you resume it. You can name several: pause 2 3
help-resume =
    { usage-resume }
    Turns a paused watch or alert back on.
help-delete =
    { usage-delete }
    Removes a watch or alert for good.
help-test =
    { usage-test }
    Shows how many recent deals an alert would have matched, with a few examples.
help-history =
    { usage-history }
    Shows the lowest, highest and current price of a watched product.
help-name =
    { usage-name }
    Gives a watch or an alert a name of your own (up to 40 characters), shown in your list. Send name ID alone to take the name away.
    Examples: name 3 Kids' bike · name 5
help-community =
    { usage-community }
    Posts deals for everyone in a Discord channel, a Telegram group or a Telegram channel. Discord, no bot needed: Server Settings → Integrations → Webhooks → New Webhook, pick the channel, Copy Webhook URL, and paste it to me in a private chat. Telegram channel: make me an admin with Post Messages, then send community add @yourchannel here. Telegram group or Discord channel with the bot: an admin sends /alert WORDS there.
    Send alert WORDS to NAME for an alert that posts to one of yours. Each community gets at most 50 deals a day unless you set another cap, and can have quiet hours, a digest, its own time zone and (Discord) a role to mention. Without a NAME, typed in a group, these are about that group.
    Examples: community add https://discord.com/api/webhooks/… deals · community add @cheap_deals · community digest deals daily 18:00 · community pause deals 3 · community remove deals
help-quiet =
    { usage-quiet }
    No alerts in that window, in your time zone; they arrive when it ends. quiet off removes it.
help-digest =
    { usage-digest }
    Collects alerts into one message a day or a week, at the time you choose. digest off sends each alert on its own.
help-cap =
    { usage-cap }
    At most N alerts a day; the rest wait for your next digest. cap off removes the limit.
help-timezone =
    { usage-timezone }
    Sets your time zone, used for quiet hours and digests. Use a name like Europe/London or America/New_York.
help-language =
    { usage-language }
    Sets the language I write in.
help-settings =
    { usage-settings }
    Shows all your preferences.
help-plan =
    { usage-plan }
    Shows your plan, its limits and what you use.
help-upgrade =
    { usage-upgrade }
    Sends you a secure payment link for the Pro or Premium plan.
help-billing =
    { usage-billing }
    Sends you a link to manage your subscription and invoices.
help-link =
    { usage-link }
    Gives you a one-time code. Send link CODE from another chat app to use the same watches and alerts there.
help-start =
    { usage-start }
    Says hello and shows how to begin.
help-help =
    { usage-help }
    Lists the commands, or explains one.
help-stop =
    STOP
    Stops all messages to this chat. Send START to opt back in.

usage-watch = watch URL [below PRICE] [drop N%] [instock]
usage-alert = alert WORDS... [-EXCLUDED...] [under PRICE] [over PRICE] [in CATEGORY] [score N] [condition new|used|refurbished] [via CHANNEL]
usage-list = list
usage-pause = pause ID
usage-resume = resume ID
usage-delete = delete ID
usage-test = test ID
usage-history = history ID
usage-name = name ID TEXT | name ID
usage-community = community [list] | community add WEBHOOK-URL|@CHANNEL [NAME] | community test|remove [NAME] | community cap|quiet|digest|timezone|mention [NAME] VALUE | community pause|resume|delete [NAME] ID
usage-quiet = quiet HH:MM-HH:MM | quiet off
usage-digest = digest daily [HH:MM] | digest weekly [DAY] [HH:MM] | digest off
usage-cap = cap N | cap off
usage-timezone = timezone ZONE
usage-language = language CODE
usage-settings = settings
usage-plan = plan
usage-upgrade = upgrade pro | upgrade premium
usage-billing = billing
usage-link = link | link CODE
usage-start = start
usage-help = help [COMMAND]
usage-stop = STOP

## Not understood

delete-none-named = None of your watches or alerts is about “{ $words }”. Send “list” to see them with their numbers.
delete-which = More than one is about “{ $words }”. Which one should I delete?
unclear-which = I’m not sure what you mean. Did you mean this? Press it to go ahead:
    { $readings }
thanks-reply = You’re welcome! I’ll keep watching. 👍
unknown-command = I don't know the command “{ $word }”.
did-you-mean = Did you mean: { $usage }
send-help = Send help to see what I can do.
try-usage = Try: { $usage }

problem-empty = That message was empty. Send help to see what I can do.
problem-too-long = That message is too long ({ $chars } characters); commands fit in { $max }.
problem-missing-url = Which product? Send its link.
problem-bad-url = “{ $text }” doesn't look like a web link.
problem-unsupported-scheme = I can only watch web pages (http or https), not { $scheme } links.
problem-url-credentials = That link contains a user name or password; send the plain link instead.
problem-two-urls = One link at a time, please.
problem-bad-price = I couldn't read “{ $text }” as a price.
problem-mixed-currencies = Those prices are in different currencies.
problem-bounds-inverted = The lower price is above the upper one.
problem-bad-percent = “{ $text }” isn't a percentage between 0 and 100.
problem-missing-id = Which one? Give its number from list.
problem-bad-id = “{ $text }” isn't a number from your list.
problem-too-many-ids = Please name one number here (or at most { $max }).
problem-label-too-long = A name can be at most { $max } characters.
problem-bad-webhook = That isn't a Discord webhook URL ({ $why ->
        [scheme] it must start with https://
        [host] it must be on discord.com
        [port] it must not name a port
        [credentials] it must not carry a user name or password
        [query] it must end with the token, nothing after it
        [path] it must look like https://discord.com/api/webhooks/ID/TOKEN
        [not-url] it must look like https://discord.com/api/webhooks/ID/TOKEN
       *[other] copy it again from the channel's Integrations settings
    }).
problem-missing-community-name = Which community? Send community to see their names.
problem-bad-community-name = “{ $text }” can't be a community name: use letters, digits, - and _, at most { $max }.
problem-bad-time = I couldn't read “{ $text }” as a time.
problem-empty-window = The start and end are the same time.
problem-bad-day = A daily digest has no day; did you mean weekly on { $text }?
problem-missing-words = Which words should I look for?
problem-too-many-words = That's too many words; an alert can have up to { $max }.
problem-word-too-long = “{ $word }” is too long for a search word.
problem-bad-score = “{ $text }” isn't a score; use a number from 0 to 1, or a percentage.
problem-bad-condition = “{ $text }” isn't a condition; use new, used or refurbished.
problem-bad-channel = “{ $text }” isn't a channel; use telegram, discord, whatsapp or sms.
problem-missing-plan = Which plan: pro or premium?
problem-bad-plan = There's no plan called “{ $text }”; choose pro or premium.
problem-bad-cap = “{ $text }” isn't a daily limit; use a number from 0 to { $max }, or off.
problem-bad-code = “{ $text }” isn't a link code.
problem-unexpected = I didn't understand “{ $text }” here.

## Watches and alerts

watch-created =
    👀 Watching #{ $id }: { $url }
    I'll tell you { $conditions }.
    First check pending: I'll message you with the product and its price.
watch-updated =
    👀 Updated #{ $id }: { $url }
    I'll tell you { $conditions }.
watch-refused-private = I can't watch that link: it points to a private network address.
watch-refused-local = I can't watch that link: its address only works inside a local network.
condition-target = when it costs { $price } or less
condition-drop = when it drops by { $percent }
condition-stock = when it's back in stock
condition-any-drop = whenever the price drops
word-or = {" "}or{" "}

rule-created = 🔔 Alert #{ $id } saved: { $summary }
rule-excluded = not { $words }
rule-under = under { $price }
rule-over = over { $price }
rule-category = in { $category }
rule-score = score { $score }+
condition-new = new
condition-used = used
condition-refurbished = refurbished

limit-watches = Your { $plan } plan allows { $limit ->
        [one] one active watch
       *[other] { $limit } active watches
    }.
limit-rules = Your { $plan } plan allows { $limit ->
        [one] one active alert
       *[other] { $limit } active alerts
    }.
limit-upgrade-hint = Pause or delete one, or send “upgrade { $next }” for more.

button-pause = Pause
button-delete = Delete
button-history = History
button-test = Test
button-plan = My plan
button-billing = Billing

list-empty = You're not watching anything yet. Send a product link, or try: alert gaming pc under 800
list-header = { $count ->
        [one] Your watch or alert:
       *[other] Your { $count } watches and alerts:
    }
list-watch = #{ $id } 👀 { $name } — { $status } ({ $conditions })
list-rule = #{ $id } 🔔 { $summary }
state-paused = {" "}⏸ paused
status-pending = first check pending
status-out-of-stock = out of stock
status-no-price = no price found

paused = ⏸ Paused #{ $id }.
resumed = ▶️ Resumed #{ $id }.
already-paused = #{ $id } is already paused.
already-active = #{ $id } is already active.
deleted = 🗑 Deleted #{ $id }.
not-found = You have nothing numbered #{ $id }. Send list to see your numbers.
name-set = ✏️ #{ $id } is now called “{ $label }”.
name-cleared = ✏️ #{ $id } has no name now.
list-labelled = “{ $label }” { $what }
community-none = You have no communities yet. To post deals into a Discord channel, paste its webhook URL here (Server Settings → Integrations → Webhooks).
community-list-header = Your communities ({ $count }):
community-list-line = • { $name } — { $place } · { $controls }
community-disabled = {" "}⏸ stopped: Discord no longer takes it
community-cap = {" "}· at most { $cap } a day
community-quiet = {" "}· quiet { $start }-{ $end }
community-cap-set = ✅ “{ $name }” gets at most { $cap } deals a day; the rest of a day's matches are skipped.
community-quiet-set = ✅ Nothing is posted to “{ $name }” from { $start } to { $end } ({ $zone }); deals found then are posted when it ends.
community-quiet-off = ✅ “{ $name }” has no quiet hours now.
community-add-private = Please don't share a webhook URL in a group: anyone who has it can post as the webhook. Delete this one in Discord (Integrations → Webhooks), make a new one and send it to me in a private chat.
community-unavailable = Communities aren't switched on here yet.
community-limit = Your plan allows { $max ->
        [one] one community
       *[other] { $max } communities
    }. Remove one first (community remove NAME), or send upgrade pro.
community-webhook-gone = Discord says that webhook doesn't exist (it may have been deleted). Copy the URL again from the channel's Integrations settings.
community-discord-down = I couldn't reach Discord just now. Please try again in a minute.
community-webhook-refused = Discord refused that webhook. Copy the URL again from the channel's Integrations settings.
community-test-post = ✅ Dealwatch is connected: deals for “{ $name }” will be posted here.
community-added = ✅ Connected “{ $name }” ({ $place }); a test message is on its way there. Send alert WORDS to { $name } for deals to post there.
community-again = That webhook is already connected as “{ $name }”; it's active.
community-name-taken = You already have a community called “{ $name }”. Add a different name after the URL.
community-not-found = You have no community called “{ $name }”. Send community to see them.
community-removed = 🗑 Removed “{ $name }”; nothing more will be posted there.
community-secret-lost = I can no longer open the webhook of “{ $name }” (the server's key changed). Paste its URL again to reconnect it.

test-not-rule = #{ $id } is a watch; test works on alerts.
test-none = No deals from the last { $days ->
        [one] day
       *[other] { $days } days
    } match #{ $id } yet.
test-result = { $count ->
        [one] One deal
       *[other] { $count } deals
    } from the last { $days ->
        [one] day
       *[other] { $days } days
    } match #{ $id }:
test-sample = • { $title } — { $price } { $url }

history-not-watch = #{ $id } is an alert; history works on watches.
history-empty = No prices for #{ $id } yet: the first check is still pending.
history-summary =
    📈 #{ $id } { $name }
    Now { $current } · lowest { $lowest } · highest { $highest }
    { $points ->
        [one] One price
       *[other] { $points } prices
    } recorded since { $since }.

## Preferences

saved = ✅ Saved. { $setting }
settings-header = ⚙️ Your settings:
setting-quiet-on = Quiet hours: { $start }–{ $end } ({ $zone }).
setting-quiet-off = Quiet hours: off.
setting-digest-daily = Digest: daily at { $time }.
setting-digest-weekly = Digest: weekly on { $day } at { $time }.
setting-digest-off = Digest: off, each alert is sent on its own.
setting-cap = Daily limit: { $cap ->
        [one] one alert
       *[other] { $cap } alerts
    } a day.
setting-cap-off = Daily limit: none.
setting-timezone = Time zone: { $zone }.
setting-language = Language: { $language }.
language-available = Available: { $available }.
language-unknown = I don't speak “{ $code }” yet. Available: { $available }.
timezone-unknown = I don't know the time zone “{ $zone }”. Use a name like Europe/London or America/New_York.
timezone-which = Which “{ $place }” do you mean? Choose its time zone:

day-monday = Monday
day-tuesday = Tuesday
day-wednesday = Wednesday
day-thursday = Thursday
day-friday = Friday
day-saturday = Saturday
day-sunday = Sunday

## Plans and billing

plan-name-free = Free
plan-name-pro = Pro
plan-name-premium = Premium
plan-show =
    Your plan: { $plan }
    Watches: { $watches } of { $watchLimit } · Alerts: { $rules } of { $ruleLimit }
    Prices checked every { $interval } · SMS alerts: { $sms } a day
plan-renews = Renews on { $date }.
plan-upgrade-hint = Send “upgrade pro” or “upgrade premium” for more.
interval-hours = { $hours ->
        [one] hour
       *[other] { $hours } hours
    }
interval-minutes = { $minutes ->
        [one] minute
       *[other] { $minutes } minutes
    }
upgrade-already = You're already on { $plan }.
upgrade-unavailable = Upgrades aren't available on this server yet: payments are not set up.
billing-unavailable = Billing isn't available on this server yet: payments are not set up.
upgrade-link = 💳 Upgrade to { $plan } securely with Stripe here: { $url }
    You'll get a message here as soon as the payment goes through.
upgrade-change = You already pay for { $plan }. Change your plan here: { $url }
billing-link = 💳 Manage your subscription, card and invoices here: { $url }
    The link works for a short while; send “billing” again for a new one.
payment-link-expired = 🔒 That payment link could not be sent in time, so I threw it away. Send “{ $command }” again for a fresh one.
billing-none = You don't have a subscription yet. Send “upgrade pro” or “upgrade premium” to start one.
billing-failed = Payments are unavailable for a moment. Please try again in a minute.
plan-changed-up = 🎉 You're on { $plan } now! Send “plan” to see your new limits.
plan-changed-down = You're on { $plan } now.
plan-paused-items = To fit its limits, these are paused (not deleted): { $items }. Delete others, then “resume ID” to bring them back.
plan-resumed-items = Resumed: { $items }.
payment-failed = ⚠️ Your last payment didn't go through. Send “billing” to update your card and keep your plan.
payment-failed-link = ⚠️ Your last payment didn't go through. Update your card here to keep your plan: { $url }
link-code = 🔗 Your link code is { $code }. Within { $minutes } minutes, send “link { $code }” to Dealwatch from your other chat app, and both will share one set of watches and alerts.
link-too-many = You've asked for too many link codes in the last hour. Please try again later.
link-done = ✅ Linked! This chat now shares watches, alerts and settings with your other account.
link-invalid = That link code is unknown or has expired. Send “link” in your other chat app for a new one.
link-same = This chat is already linked to that account.
link-confirm = 🔗 Code { $code } belongs to a Dealwatch account on { $apps } ({ $plan } plan). Joining it moves this { $channel } chat's { $watches ->
    [one] one watch
   *[other] { $watches } watches
} and { $alerts ->
    [one] one alert
   *[other] { $alerts } alerts
}, your plan and your settings into that account: whoever uses it will see and manage them. Only join if that account is yours. To join, send “link { $code } yes”.
link-confirm-button = Yes, join my accounts
link-both-paying = Both accounts pay for a subscription, so I haven't joined them: one would go on paying for nothing. Cancel one with “billing” first, then link again.

## Opt-out and errors

stopped = You're unsubscribed and won't get any more messages here. Send START to opt back in.
unstopped = Welcome back! Messages to this chat are on again.
error-internal = Sorry, something went wrong on our side. Please try again in a moment.

## Watch results and alerts

watch-ready = 🔎 #{ $id } is { $name }: { $status }. I'll keep checking and tell you when it changes.
watch-failed = ⚠️ I couldn't read a price on #{ $id } ({ $url }): { $reason }. Check the link, or delete it.
alert-target = 🔔 #{ $id } { $name } is at or below your target price!
alert-drop = 🔔 #{ $id } { $name } dropped by at least your percentage!
alert-any-drop = 🔔 Price drop on #{ $id } { $name }
alert-back-in-stock = 📦 #{ $id } { $name } is back in stock!
alert-price-change = { $old } → { $new } ({ $percent } off)
alert-price-now = Now { $new }
alert-lowest = Lowest seen: { $lowest }

## Community rules (Discord guild channels)

rule-created-community = 📣 Alert #{ $id } saved: { $summary }. Matching deals will be posted in this channel.
rule-created-destination = 📣 Alert #{ $id } saved: { $summary }. Matching deals will be posted to “{ $name }”.
community-stopped = ⏸ Discord no longer takes the webhook of “{ $name }” (it was deleted, or its channel was). Its alerts are paused. Paste a new webhook URL with community add URL { $name }, then resume them.
rule-community-not-allowed = Only members who can manage this channel can make alerts that post here, so this one alerts you privately.
rule-community-no-access = I can't post in this channel (I need View Channel, Send Messages and Embed Links), so this alert comes to you privately.
list-rule-community = {" "}📣 posts in a channel
list-rule-destination = {" "}📣 posts to { $name }

## Groups: answers meant for one person

group-private-only = 🔒 I answer that in our private chat, so nobody else here sees your watches and alerts. Open the chat with me, press Start, then send it there.
group-open-private = Open private chat

## Slash command options (Discord)

option-url = The product page's link
option-below = Alert when the price is at or below this, e.g. £40
option-drop = Alert when the price drops by this much, e.g. 10%
option-instock = Alert when it's back in stock
option-words = Words to look for, e.g. gaming pc
option-exclude = Words that rule a deal out, e.g. mac refurbished
option-under = Highest price, e.g. 800
option-over = Lowest price, e.g. 100
option-category = Only deals in this category
option-score = Lowest deal score, 0–1 or a percentage
option-condition = Only deals in this condition
option-ids = One or more ids, e.g. 3 or 3 4
option-id = The id from your list, e.g. 3
option-label = The name, up to 40 characters; leave it out to take the name away
option-action = What to do: list, add, test, remove, pause, resume, delete, cap or quiet
option-target = The webhook URL or @channel (add), an alert number, a cap or quiet hours
option-community = The community's name (none: this channel)
option-hours = The quiet window, e.g. 22:00-07:00, or off
option-schedule = How often, or off
option-time = The time it arrives, e.g. 08:00
option-limit = Most alerts a day, or off
option-zone = Your time zone, e.g. Europe/London
option-language = A language, e.g. en, de or fr
option-plan = The plan to upgrade to
option-code = The code from your other chat app
option-command = A command to explain

## Deals matching rules

deal-match = 🔥 Deal for #{ $id }: { $title }
deal-community = 🔥 { $title }
deal-price = { $price }
deal-price-was = { $price } (was { $was }, −{ $off })
deal-lowest = Lowest seen: { $price }
deal-merchant = at { $merchant }

## Digests and channel problems
channel-name = { $channel ->
    [telegram] Telegram
    [discord] Discord
    [whatsapp] WhatsApp
    [sms] SMS
   *[console] the console
}
digest-header = 📬 Your digest: { $count ->
    [one] one alert
   *[other] { $count } alerts
}
digest-group-watch = Watch #{ $id }
digest-group-rule = Alert #{ $id }
digest-item = • { $title }: { $price }
digest-item-off = • { $title }: { $price } (−{ $off })
digest-item-no-price = • { $title }
digest-more = …and { $count } more.
channel-lost = ⚠️ We can no longer reach you on { $channel } ({ $why }), so your alerts come here now. Write to us on { $channel } again to turn it back on.
community-place-webhook = Discord { $url }
community-place-discord-channel = Discord channel { $id }
community-place-telegram-group = Telegram group { $id }
community-place-telegram-channel = Telegram channel { $id }
community-test-queued = 📨 A test message is on its way to “{ $name }”.
community-left = ⏸ I was removed from “{ $name }” (or may no longer post there). Its alerts are paused. Add me back, then resume them with community resume { $name } ID.
community-chat-unsupported = Deals can't be posted into this kind of chat.
community-admins-only = Only the admins of this chat can change what is posted here.
community-chat-none = Nothing is posted here yet. An admin can send /alert WORDS [under PRICE] here to have matching deals posted.
community-chat-header = Posted here as “{ $name }” ({ $count ->
        [one] one alert
       *[other] { $count } alerts
    }):
community-chat-usage = Admins: /alert WORDS adds one · /community pause|resume|delete ID · /community cap N · /community quiet 23:00-07:00
community-channel-private = Please register a channel in a private chat with me.
community-channel-unsupported = Channels are registered from a private chat with the Telegram bot: send community add @channel there.
community-channel-not-found = Telegram doesn't know the channel { $channel }. Check its @name (or forward me one of its posts).
community-channel-not-channel = { $channel } is a chat, not a channel. To have deals posted in a group, add me to it and send /alert WORDS there.
community-channel-not-admin = Only an admin of { $channel } who may post there can connect it.
community-channel-bot-not-admin = I'm not an admin of { $channel } with the right to post. In the channel: Administrators → Add Admin → me, with Post Messages; then send this again.
community-channel-down = I couldn't reach Telegram just now. Please try again in a minute.
community-rule-not-found = #{ $id } is not one of this community's alerts.
community-rule-limit = #{ $id } stays paused: this community may have { $max } active alerts.
community-rule-paused = ⏸ Paused #{ $id }.
community-rule-resumed = ▶️ Resumed #{ $id }.
community-rule-deleted = 🗑 Deleted #{ $id }.
community-rules-limit = “{ $name }” already has { $max } active alerts, the most its owner's plan allows. Pause or delete one first.
group-welcome = 👋 Hello! Admins can have deals posted here: /alert WORDS [under PRICE] (e.g. /alert gaming pc -mac under 800). /community shows what is posted here. For your own alerts, talk to me privately.
group-welcome-back = I'm back: the alerts posted here are paused. An admin can resume them with /community resume ID.
community-mention-discord-only = Only Discord communities can mention a role.
community-digest-set = ✅ “{ $name }”: { $digest } ({ $zone })
community-zone-set = ✅ “{ $name }” keeps its quiet hours and digest in { $zone } now.
community-mention-set = ✅ Posts to “{ $name }” mention { $role }.
community-mention-off = ✅ Posts to “{ $name }” mention nobody now.
community-digest = {" "}· { $digest }
community-mentions = {" "}· mentions { $role }
community-zone = {" "}· { $zone }
problem-bad-role = “{ $text }” isn't a Discord role: type @ and pick the role, or paste its id; off for none.
group-anonymous-admin = 🕶 You're posting as the group, so I can't tell which admin you are. To manage the alerts posted here, turn off “Remain anonymous” in your admin rights, or send me the command privately.
