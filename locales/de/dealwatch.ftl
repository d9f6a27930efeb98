# Dealwatch — Deutsch. Gleiche Nachrichten-IDs wie locales/en-GB (ein Test prüft das).
# Befehle bleiben englisch; nur die Erklärungen sind übersetzt.

language-name = Deutsch

## Begrüßung und Hilfe

welcome =
    👋 Hallo! Ich bin Dealwatch. Ich beobachte Shopseiten und Deal-Feeds und schreibe dir, wenn Preise fallen.
    Schick mir einen Produktlink, um ihn zu beobachten, zum Beispiel:
      watch https://shop.example/item below 40 €
    Oder sag mir, nach welchen Deals ich suchen soll:
      alert gaming pc -mac under 800
    Schick help, um alles zu sehen, was ich kann.

help-overview =
    Das verstehe ich:
    • watch URL [below PREIS] [drop N%] [instock] — eine Produktseite beobachten (oder einfach den Link schicken)
    • alert WÖRTER [-AUSGESCHLOSSEN] [under PREIS] [over PREIS] [in KATEGORIE] [score N] [condition new|used|refurbished] [via CHANNEL] — nach Deals suchen
    • list — deine Beobachtungen und Alarme
    • pause ID, resume ID, delete ID — sie verwalten
    • test ID — aktuelle Deals, die ein Alarm gefunden hätte
    • history ID — Preisverlauf eines Produkts
    • name ID TEXT — einer Beobachtung oder einem Alarm einen eigenen Namen geben
    • quiet 22:00-07:00, digest daily 08:00, cap 5 — wann und wie oft ich dir schreibe
    • timezone Europe/Berlin, language en — Zeitzone und Sprache
    • settings — alle Einstellungen
    • plan, upgrade pro, billing — dein Tarif
    • community — Deals in einen Discord-Kanal posten: dessen Webhook-URL einfügen
    • link — ein Konto in mehreren Chat-Apps nutzen
    • STOP — keine Nachrichten mehr
    Schick help BEFEHL für mehr zu einem Befehl.

help-unknown-topic = Einen Befehl „{ $topic }“ gibt es nicht. Schick help, um alle zu sehen.

help-watch =
    { usage-watch }
    Beobachtet eine Produktseite. Ich prüfe sie regelmäßig und sage dir Bescheid, wenn der Preis dein Ziel erreicht, um den angegebenen Prozentsatz fällt oder das Produkt wieder verfügbar ist. Ohne Bedingung melde ich jede Preissenkung.
    Beispiele: watch https://shop.example/item below 40 € · https://shop.example/item drop 15% · watch https://shop.example/item instock
help-alert =
    { usage-alert }
    Sucht nach Deals: Jedes der Wörter passt, ein Wort mit - davor schließt einen Deal aus, die übrigen Optionen grenzen ein.
    Beispiele: alert gaming pc -mac under 800 · alert lego in toys score 40% · alert iphone condition refurbished under 300 €
help-list =
    { usage-list }
    Zeigt deine Beobachtungen und Alarme mit Nummer, Status und aktuellem Preis.
help-pause =
    { usage-pause }
    Hält Meldungen einer Beobachtung oder eines Alarms an, bis du sie fortsetzt. Mehrere gehen auch: pause 2 3
help-resume =
    { usage-resume }
    Schaltet eine pausierte Beobachtung oder einen pausierten Alarm wieder ein.
help-delete =
    { usage-delete }
    Entfernt eine Beobachtung oder einen Alarm endgültig.
help-test =
    { usage-test }
    Zeigt, wie viele aktuelle Deals ein Alarm gefunden hätte, mit ein paar Beispielen.
help-history =
    { usage-history }
    Zeigt den niedrigsten, höchsten und aktuellen Preis eines beobachteten Produkts.
help-name =
    { usage-name }
    Gibt einer Beobachtung oder einem Alarm einen eigenen Namen (bis zu 40 Zeichen), der in deiner Liste steht. Schick nur name ID, um den Namen wieder zu entfernen.
    Beispiele: name 3 Fahrrad für die Kinder · name 5
help-community =
    { usage-community }
    Postet Deals für alle in einem Discord-Kanal, einer Telegram-Gruppe oder einem Telegram-Kanal. Discord ganz ohne Bot: Servereinstellungen → Integrationen → Webhooks → Neuer Webhook, Kanal wählen, Webhook-URL kopieren und mir im privaten Chat schicken. Telegram-Kanal: Mach mich zum Admin mit „Nachrichten senden“ und schick hier community add @deinkanal. Telegram-Gruppe oder Discord-Kanal mit dem Bot: Ein Admin schickt dort /alert WÖRTER.
    Mit alert WÖRTER to NAME postet ein Alarm in eine deiner Communities. Jede bekommt höchstens 50 Deals am Tag, außer du setzt eine andere Grenze, und kann Ruhezeiten, eine Zusammenfassung, eine eigene Zeitzone und (Discord) eine Rolle zum Erwähnen haben. Ohne NAME, in einer Gruppe getippt, geht es um diese Gruppe.
    Beispiele: community add https://discord.com/api/webhooks/… deals · community add @billig_deals · community digest deals daily 18:00 · community pause deals 3 · community remove deals
help-quiet =
    { usage-quiet }
    In diesem Zeitraum (deine Zeitzone) kommen keine Meldungen; sie folgen, wenn er endet. quiet off hebt ihn auf.
help-digest =
    { usage-digest }
    Sammelt Meldungen in einer Nachricht pro Tag oder Woche, zur gewählten Uhrzeit. digest off schickt jede Meldung einzeln.
help-cap =
    { usage-cap }
    Höchstens N Meldungen am Tag; der Rest wartet auf deine nächste Zusammenfassung. cap off hebt die Grenze auf.
help-timezone =
    { usage-timezone }
    Legt deine Zeitzone für Ruhezeiten und Zusammenfassungen fest. Nutze einen Namen wie Europe/Berlin oder Europe/Vienna.
help-language =
    { usage-language }
    Legt die Sprache fest, in der ich schreibe.
help-settings =
    { usage-settings }
    Zeigt alle deine Einstellungen.
help-plan =
    { usage-plan }
    Zeigt deinen Tarif, seine Grenzen und deine Nutzung.
help-upgrade =
    { usage-upgrade }
    Schickt dir einen sicheren Zahlungslink für Pro oder Premium.
help-billing =
    { usage-billing }
    Schickt dir einen Link zur Verwaltung deines Abos und deiner Rechnungen.
help-link =
    { usage-link }
    Gibt dir einen Einmalcode. Schick link CODE aus einer anderen Chat-App, um dort dieselben Beobachtungen und Alarme zu nutzen.
help-start =
    { usage-start }
    Begrüßt dich und zeigt, wie es losgeht.
help-help =
    { usage-help }
    Listet die Befehle auf oder erklärt einen.
help-stop =
    STOP
    Beendet alle Nachrichten an diesen Chat. Schick START, um sie wieder zu erhalten.

usage-watch = watch URL [below PREIS] [drop N%] [instock]
usage-alert = alert WÖRTER... [-AUSGESCHLOSSEN...] [under PREIS] [over PREIS] [in KATEGORIE] [score N] [condition new|used|refurbished] [via CHANNEL]
usage-list = list
usage-pause = pause ID
usage-resume = resume ID
usage-delete = delete ID
usage-test = test ID
usage-history = history ID
usage-name = name ID TEXT | name ID
usage-community = community [list] | community add WEBHOOK-URL|@KANAL [NAME] | community test|remove [NAME] | community cap|quiet|digest|timezone|mention [NAME] WERT | community pause|resume|delete [NAME] ID
usage-quiet = quiet HH:MM-HH:MM | quiet off
usage-digest = digest daily [HH:MM] | digest weekly [TAG] [HH:MM] | digest off
usage-cap = cap N | cap off
usage-timezone = timezone ZONE
usage-language = language CODE
usage-settings = settings
usage-plan = plan
usage-upgrade = upgrade pro | upgrade premium
usage-billing = billing
usage-link = link | link CODE
usage-start = start
usage-help = help [BEFEHL]
usage-stop = STOP

## Nicht verstanden

delete-none-named = Keine deiner Beobachtungen oder Alarme passt zu „{ $words }“. Sende „list“, um sie mit Nummern zu sehen.
delete-which = Mehrere passen zu „{ $words }“. Welche soll ich löschen?
unclear-which = Ich bin nicht sicher, was du meinst. Meinst du das? Tippe es an, dann geht’s los:
    { $readings }
thanks-reply = Gern geschehen! Ich passe weiter auf. 👍
unknown-command = Den Befehl „{ $word }“ kenne ich nicht.
did-you-mean = Meintest du: { $usage }
send-help = Schick help, um zu sehen, was ich kann.
try-usage = Versuch: { $usage }

problem-empty = Die Nachricht war leer. Schick help, um zu sehen, was ich kann.
problem-too-long = Die Nachricht ist zu lang ({ $chars } Zeichen); Befehle passen in { $max }.
problem-missing-url = Welches Produkt? Schick seinen Link.
problem-bad-url = „{ $text }“ sieht nicht wie ein Weblink aus.
problem-unsupported-scheme = Ich kann nur Webseiten (http oder https) beobachten, keine { $scheme }-Links.
problem-url-credentials = Der Link enthält Benutzername oder Passwort; schick bitte den einfachen Link.
problem-two-urls = Bitte nur einen Link auf einmal.
problem-bad-price = „{ $text }“ konnte ich nicht als Preis lesen.
problem-mixed-currencies = Diese Preise sind in verschiedenen Währungen.
problem-bounds-inverted = Der untere Preis liegt über dem oberen.
problem-bad-percent = „{ $text }“ ist kein Prozentsatz zwischen 0 und 100.
problem-missing-id = Welche? Gib die Nummer aus list an.
problem-bad-id = „{ $text }“ ist keine Nummer aus deiner Liste.
problem-too-many-ids = Bitte nenne hier eine Nummer (höchstens { $max }).
problem-label-too-long = Ein Name darf höchstens { $max } Zeichen lang sein.
problem-bad-webhook = Das ist keine Discord-Webhook-URL ({ $why ->
        [scheme] sie muss mit https:// beginnen
        [host] sie muss auf discord.com liegen
        [port] sie darf keinen Port nennen
        [credentials] sie darf keinen Benutzernamen und kein Passwort enthalten
        [query] nach dem Token darf nichts mehr kommen
        [path] sie muss wie https://discord.com/api/webhooks/ID/TOKEN aussehen
        [not-url] sie muss wie https://discord.com/api/webhooks/ID/TOKEN aussehen
       *[other] kopiere sie noch einmal aus den Integrationen des Kanals
    }).
problem-missing-community-name = Welche Community? Schick community, um ihre Namen zu sehen.
problem-bad-community-name = „{ $text }“ geht nicht als Community-Name: Buchstaben, Ziffern, - und _, höchstens { $max }.
problem-bad-time = „{ $text }“ konnte ich nicht als Uhrzeit lesen.
problem-empty-window = Anfang und Ende sind dieselbe Uhrzeit.
problem-bad-day = Eine tägliche Zusammenfassung hat keinen Wochentag; meintest du weekly am { $text }?
problem-missing-words = Nach welchen Wörtern soll ich suchen?
problem-too-many-words = Das sind zu viele Wörter; ein Alarm kann bis zu { $max } haben.
problem-word-too-long = „{ $word }“ ist zu lang für ein Suchwort.
problem-bad-score = „{ $text }“ ist keine Bewertung; nutze eine Zahl von 0 bis 1 oder einen Prozentsatz.
problem-bad-condition = „{ $text }“ ist kein Zustand; nutze new, used oder refurbished.
problem-bad-channel = „{ $text }“ ist kein Kanal; nutze telegram, discord, whatsapp oder sms.
problem-missing-plan = Welcher Tarif: pro oder premium?
problem-bad-plan = Einen Tarif „{ $text }“ gibt es nicht; wähle pro oder premium.
problem-bad-cap = „{ $text }“ ist keine Tagesgrenze; nutze eine Zahl von 0 bis { $max } oder off.
problem-bad-code = „{ $text }“ ist kein Verknüpfungscode.
problem-unexpected = „{ $text }“ habe ich hier nicht verstanden.

## Beobachtungen und Alarme

watch-created =
    👀 Beobachte #{ $id }: { $url }
    Ich melde mich { $conditions }.
    Erste Prüfung ausstehend: Ich schreibe dir Produkt und Preis.
watch-updated =
    👀 #{ $id } aktualisiert: { $url }
    Ich melde mich { $conditions }.
watch-refused-private = Diesen Link kann ich nicht beobachten: Er zeigt auf eine private Netzwerkadresse.
watch-refused-local = Diesen Link kann ich nicht beobachten: Seine Adresse funktioniert nur in einem lokalen Netzwerk.
condition-target = wenn es { $price } oder weniger kostet
condition-drop = wenn der Preis um { $percent } fällt
condition-stock = wenn es wieder verfügbar ist
condition-any-drop = bei jeder Preissenkung
word-or = {" "}oder{" "}

rule-created = 🔔 Alarm #{ $id } gespeichert: { $summary }
rule-excluded = nicht { $words }
rule-under = unter { $price }
rule-over = über { $price }
rule-category = in { $category }
rule-score = Bewertung ab { $score }
condition-new = neu
condition-used = gebraucht
condition-refurbished = generalüberholt

limit-watches = Dein Tarif { $plan } erlaubt { $limit ->
        [one] eine aktive Beobachtung
       *[other] { $limit } aktive Beobachtungen
    }.
limit-rules = Dein Tarif { $plan } erlaubt { $limit ->
        [one] einen aktiven Alarm
       *[other] { $limit } aktive Alarme
    }.
limit-upgrade-hint = Pausiere oder lösche einen, oder schick „upgrade { $next }“ für mehr.

button-pause = Pause
button-delete = Löschen
button-history = Verlauf
button-test = Testen
button-plan = Mein Tarif
button-billing = Abrechnung

list-empty = Du beobachtest noch nichts. Schick einen Produktlink oder versuch: alert gaming pc under 800
list-header = { $count ->
        [one] Deine Beobachtung bzw. dein Alarm:
       *[other] Deine { $count } Beobachtungen und Alarme:
    }
list-watch = #{ $id } 👀 { $name } — { $status } ({ $conditions })
list-rule = #{ $id } 🔔 { $summary }
state-paused = {" "}⏸ pausiert
status-pending = erste Prüfung ausstehend
status-out-of-stock = nicht vorrätig
status-no-price = kein Preis gefunden

paused = ⏸ #{ $id } pausiert.
resumed = ▶️ #{ $id } fortgesetzt.
already-paused = #{ $id } ist schon pausiert.
already-active = #{ $id } ist schon aktiv.
deleted = 🗑 #{ $id } gelöscht.
not-found = Du hast nichts mit der Nummer #{ $id }. Schick list, um deine Nummern zu sehen.
name-set = ✏️ #{ $id } heißt jetzt „{ $label }“.
name-cleared = ✏️ #{ $id } hat jetzt keinen Namen mehr.
list-labelled = „{ $label }“ { $what }
community-none = Du hast noch keine Communities. Um Deals in einen Discord-Kanal zu posten, füge hier seine Webhook-URL ein (Servereinstellungen → Integrationen → Webhooks).
community-list-header = Deine Communities ({ $count }):
community-list-line = • { $name } — { $place } · { $controls }
community-disabled = {" "}⏸ gestoppt: Discord nimmt ihn nicht mehr an
community-cap = {" "}· höchstens { $cap } am Tag
community-quiet = {" "}· Ruhe { $start }-{ $end }
community-cap-set = ✅ „{ $name }“ bekommt höchstens { $cap } Deals am Tag; weitere Treffer des Tages werden übersprungen.
community-quiet-set = ✅ Von { $start } bis { $end } ({ $zone }) wird nichts in „{ $name }“ gepostet; Deals aus dieser Zeit folgen danach.
community-quiet-off = ✅ „{ $name }“ hat jetzt keine Ruhezeit mehr.
community-add-private = Bitte teile keine Webhook-URL in einer Gruppe: Wer sie hat, kann als der Webhook posten. Lösche diesen in Discord (Integrationen → Webhooks), erstelle einen neuen und schick ihn mir im privaten Chat.
community-unavailable = Communities sind hier noch nicht eingeschaltet.
community-limit = Dein Tarif erlaubt { $max ->
        [one] eine Community
       *[other] { $max } Communities
    }. Entferne zuerst eine (community remove NAME) oder schick upgrade pro.
community-webhook-gone = Laut Discord gibt es diesen Webhook nicht (vielleicht wurde er gelöscht). Kopiere die URL noch einmal aus den Integrationen des Kanals.
community-discord-down = Ich habe Discord gerade nicht erreicht. Bitte versuch es in einer Minute noch einmal.
community-webhook-refused = Discord hat diesen Webhook abgelehnt. Kopiere die URL noch einmal aus den Integrationen des Kanals.
community-test-post = ✅ Dealwatch ist verbunden: Deals für „{ $name }“ werden hier gepostet.
community-added = ✅ „{ $name }“ ({ $place }) ist verbunden; eine Testnachricht ist unterwegs. Schick alert WÖRTER to { $name }, damit Deals dort erscheinen.
community-again = Dieser Webhook ist schon als „{ $name }“ verbunden; er ist aktiv.
community-name-taken = Du hast schon eine Community namens „{ $name }“. Schreib einen anderen Namen hinter die URL.
community-not-found = Du hast keine Community namens „{ $name }“. Schick community, um sie zu sehen.
community-removed = 🗑 „{ $name }“ entfernt; dort wird nichts mehr gepostet.
community-secret-lost = Den Webhook von „{ $name }“ kann ich nicht mehr öffnen (der Schlüssel des Servers hat sich geändert). Füge seine URL noch einmal ein, um ihn neu zu verbinden.

test-not-rule = #{ $id } ist eine Beobachtung; test funktioniert mit Alarmen.
test-none = Aus { $days ->
        [one] dem letzten Tag
       *[other] den letzten { $days } Tagen
    } passt noch kein Deal zu #{ $id }.
test-result = { $count ->
        [one] Ein Deal
       *[other] { $count } Deals
    } aus { $days ->
        [one] dem letzten Tag
       *[other] den letzten { $days } Tagen
    } { $count ->
        [one] passt
       *[other] passen
    } zu #{ $id }:
test-sample = • { $title } — { $price } { $url }

history-not-watch = #{ $id } ist ein Alarm; history funktioniert mit Beobachtungen.
history-empty = Noch keine Preise für #{ $id }: Die erste Prüfung steht noch aus.
history-summary =
    📈 #{ $id } { $name }
    Jetzt { $current } · niedrigster { $lowest } · höchster { $highest }
    { $points ->
        [one] Ein Preis
       *[other] { $points } Preise
    } seit { $since } erfasst.

## Einstellungen

saved = ✅ Gespeichert. { $setting }
settings-header = ⚙️ Deine Einstellungen:
setting-quiet-on = Ruhezeit: { $start }–{ $end } ({ $zone }).
setting-quiet-off = Ruhezeit: aus.
setting-digest-daily = Zusammenfassung: täglich um { $time }.
setting-digest-weekly = Zusammenfassung: wöchentlich am { $day } um { $time }.
setting-digest-off = Zusammenfassung: aus, jede Meldung kommt einzeln.
setting-cap = Tagesgrenze: { $cap ->
        [one] eine Meldung
       *[other] { $cap } Meldungen
    } am Tag.
setting-cap-off = Tagesgrenze: keine.
setting-timezone = Zeitzone: { $zone }.
setting-language = Sprache: { $language }.
language-available = Verfügbar: { $available }.
language-unknown = „{ $code }“ spreche ich noch nicht. Verfügbar: { $available }.
timezone-unknown = Die Zeitzone „{ $zone }“ kenne ich nicht. Nutze einen Namen wie Europe/Berlin oder America/New_York.
timezone-which = Welches „{ $place }“ meinst du? Wähle die Zeitzone:

day-monday = Montag
day-tuesday = Dienstag
day-wednesday = Mittwoch
day-thursday = Donnerstag
day-friday = Freitag
day-saturday = Samstag
day-sunday = Sonntag

## Tarife und Abrechnung

plan-name-free = Free
plan-name-pro = Pro
plan-name-premium = Premium
plan-show =
    Dein Tarif: { $plan }
    Beobachtungen: { $watches } von { $watchLimit } · Alarme: { $rules } von { $ruleLimit }
    Preise geprüft alle { $interval } · SMS-Meldungen: { $sms } am Tag
plan-renews = Verlängert sich am { $date }.
plan-upgrade-hint = Schick „upgrade pro“ oder „upgrade premium“ für mehr.
interval-hours = { $hours ->
        [one] Stunde
       *[other] { $hours } Stunden
    }
interval-minutes = { $minutes ->
        [one] Minute
       *[other] { $minutes } Minuten
    }
upgrade-already = Du hast schon { $plan }.
upgrade-unavailable = Upgrades gibt es auf diesem Server noch nicht: Zahlungen sind nicht eingerichtet.
billing-unavailable = Die Abrechnung gibt es auf diesem Server noch nicht: Zahlungen sind nicht eingerichtet.
upgrade-link = 💳 Hier sicher mit Stripe auf { $plan } upgraden: { $url }
    Sobald die Zahlung durch ist, bekommst du hier eine Nachricht.
upgrade-change = Du zahlst schon für { $plan }. Hier kannst du den Tarif wechseln: { $url }
billing-link = 💳 Abo, Karte und Rechnungen verwaltest du hier: { $url }
    Der Link gilt nur kurz; schick „billing“ erneut für einen neuen.
payment-link-expired = 🔒 Dieser Zahlungslink ließ sich nicht rechtzeitig senden, deshalb habe ich ihn verworfen. Schick „{ $command }“ noch einmal für einen neuen.
billing-none = Du hast noch kein Abo. Schick „upgrade pro“ oder „upgrade premium“, um eins abzuschließen.
billing-failed = Zahlungen sind gerade nicht erreichbar. Bitte versuch es in einer Minute noch einmal.
plan-changed-up = 🎉 Du hast jetzt { $plan }! Schick „plan“, um deine neuen Grenzen zu sehen.
plan-changed-down = Du hast jetzt { $plan }.
plan-paused-items = Damit es in die Grenzen passt, sind diese pausiert (nicht gelöscht): { $items }. Lösche andere, dann bringt „resume ID“ sie zurück.
plan-resumed-items = Wieder aktiv: { $items }.
payment-failed = ⚠️ Deine letzte Zahlung ist nicht durchgegangen. Schick „billing“, um deine Karte zu aktualisieren und deinen Tarif zu behalten.
payment-failed-link = ⚠️ Deine letzte Zahlung ist nicht durchgegangen. Aktualisiere hier deine Karte, um deinen Tarif zu behalten: { $url }
link-code = 🔗 Dein Verknüpfungscode ist { $code }. Schick innerhalb von { $minutes } Minuten „link { $code }“ aus deiner anderen Chat-App an Dealwatch, dann teilen beide dieselben Beobachtungen und Alarme.
link-too-many = Du hast in der letzten Stunde zu viele Verknüpfungscodes angefordert. Bitte versuch es später noch einmal.
link-done = ✅ Verknüpft! Dieser Chat teilt jetzt Beobachtungen, Alarme und Einstellungen mit deinem anderen Konto.
link-invalid = Dieser Code ist unbekannt oder abgelaufen. Schick „link“ in deiner anderen Chat-App für einen neuen.
link-same = Dieser Chat ist schon mit diesem Konto verknüpft.
link-confirm = 🔗 Der Code { $code } gehört zu einem Dealwatch-Konto auf { $apps } (Tarif { $plan }). Beim Verknüpfen wandern { $watches ->
    [one] eine Beobachtung
   *[other] { $watches } Beobachtungen
} und { $alerts ->
    [one] ein Alarm
   *[other] { $alerts } Alarme
} dieses { $channel }-Chats, dein Tarif und deine Einstellungen in dieses Konto: Wer es nutzt, sieht und verwaltet sie. Verknüpfe nur, wenn das Konto dir gehört. Zum Verknüpfen sende „link { $code } ja“.
link-confirm-button = Ja, Konten verknüpfen
link-both-paying = Beide Konten haben ein bezahltes Abo, deshalb habe ich sie nicht verknüpft: Eins würde sonst für nichts weiterzahlen. Kündige zuerst eins mit „billing“ und verknüpfe dann erneut.

## Abmeldung und Fehler

stopped = Du bist abgemeldet und bekommst hier keine Nachrichten mehr. Schick START, um sie wieder zu erhalten.
unstopped = Willkommen zurück! Nachrichten an diesen Chat sind wieder an.
error-internal = Entschuldige, bei uns ist etwas schiefgegangen. Bitte versuch es gleich noch einmal.

## Prüfergebnisse und Meldungen

watch-ready = 🔎 #{ $id } ist { $name }: { $status }. Ich prüfe weiter und melde mich bei Änderungen.
watch-failed = ⚠️ Auf #{ $id } ({ $url }) konnte ich keinen Preis lesen: { $reason }. Prüf den Link oder lösch ihn.
alert-target = 🔔 #{ $id } { $name } liegt bei oder unter deinem Zielpreis!
alert-drop = 🔔 #{ $id } { $name } ist mindestens um deinen Prozentsatz gefallen!
alert-any-drop = 🔔 Preissenkung bei #{ $id } { $name }
alert-back-in-stock = 📦 #{ $id } { $name } ist wieder verfügbar!
alert-price-change = { $old } → { $new } ({ $percent } günstiger)
alert-price-now = Jetzt { $new }
alert-lowest = Bisher niedrigster Preis: { $lowest }

## Community rules (Discord guild channels)

rule-created-community = 📣 Alarm #{ $id } gespeichert: { $summary }. Passende Angebote werden in diesem Kanal gepostet.
rule-created-destination = 📣 Alarm #{ $id } gespeichert: { $summary }. Passende Angebote werden in „{ $name }“ gepostet.
community-stopped = ⏸ Discord nimmt den Webhook von „{ $name }“ nicht mehr an (er oder sein Kanal wurde gelöscht). Seine Alarme sind pausiert. Füge mit community add URL { $name } eine neue Webhook-URL ein und setze sie dann fort.
rule-community-not-allowed = Nur Mitglieder, die diesen Kanal verwalten dürfen, können Alarme anlegen, die hier posten. Dieser Alarm benachrichtigt dich daher privat.
rule-community-no-access = Ich kann in diesem Kanal nicht posten (ich brauche „Kanal ansehen“, „Nachrichten senden“ und „Links einbetten“), daher benachrichtigt dich dieser Alarm privat.
list-rule-community = {" "}📣 postet in einem Kanal
list-rule-destination = {" "}📣 postet in { $name }

## Gruppen: Antworten nur für eine Person

group-private-only = 🔒 Darauf antworte ich in unserem privaten Chat, damit hier niemand sonst deine Beobachtungen und Alarme sieht. Öffne den Chat mit mir, tippe auf Start und schick es dort noch einmal.
group-open-private = Privaten Chat öffnen

## Slash command options (Discord)

option-url = Der Link zur Produktseite
option-below = Alarm, sobald der Preis höchstens so hoch ist, z. B. 40 €
option-drop = Alarm, wenn der Preis um so viel fällt, z. B. 10 %
option-instock = Alarm, wenn es wieder verfügbar ist
option-words = Gesuchte Wörter, z. B. gaming pc
option-exclude = Wörter, die ein Angebot ausschließen, z. B. mac refurbished
option-under = Höchstpreis, z. B. 800
option-over = Mindestpreis, z. B. 100
option-category = Nur Angebote in dieser Kategorie
option-score = Mindest-Deal-Score, 0–1 oder in Prozent
option-condition = Nur Angebote in diesem Zustand
option-ids = Eine oder mehrere Nummern, z. B. 3 oder 3 4
option-id = Die Nummer aus deiner Liste, z. B. 3
option-label = Der Name, bis zu 40 Zeichen; weglassen, um den Namen zu entfernen
option-action = Was tun: list, add, test, remove, pause, resume, delete, cap oder quiet
option-target = Die Webhook-URL oder der @Kanal (add), eine Alarmnummer, eine Grenze oder Ruhezeiten
option-community = Der Name der Community (keiner: dieser Kanal)
option-hours = Die Ruhezeit, z. B. 22:00-07:00, oder off
option-schedule = Wie oft, oder off
option-time = Die Uhrzeit, z. B. 08:00
option-limit = Höchstens so viele Alarme am Tag, oder off
option-zone = Deine Zeitzone, z. B. Europe/Berlin
option-language = Eine Sprache, z. B. en, de oder fr
option-plan = Der gewünschte Tarif
option-code = Der Code aus deiner anderen Chat-App
option-command = Ein Befehl, den ich erklären soll

## Deals matching rules

deal-match = 🔥 Angebot für #{ $id }: { $title }
deal-community = 🔥 { $title }
deal-price = { $price }
deal-price-was = { $price } (statt { $was }, −{ $off })
deal-lowest = Tiefster Preis bisher: { $price }
deal-merchant = bei { $merchant }

## Digests and channel problems
channel-name = { $channel ->
    [telegram] Telegram
    [discord] Discord
    [whatsapp] WhatsApp
    [sms] SMS
   *[console] die Konsole
}
digest-header = 📬 Deine Zusammenfassung: { $count ->
    [one] ein Alarm
   *[other] { $count } Alarme
}
digest-group-watch = Beobachtung #{ $id }
digest-group-rule = Alarm #{ $id }
digest-item = • { $title }: { $price }
digest-item-off = • { $title }: { $price } (−{ $off })
digest-item-no-price = • { $title }
digest-more = …und { $count } weitere.
channel-lost = ⚠️ Wir erreichen dich über { $channel } nicht mehr ({ $why }), deshalb kommen deine Alarme jetzt hierher. Schreib uns wieder über { $channel }, um es erneut einzuschalten.
community-place-webhook = Discord { $url }
community-place-discord-channel = Discord-Kanal { $id }
community-place-telegram-group = Telegram-Gruppe { $id }
community-place-telegram-channel = Telegram-Kanal { $id }
community-test-queued = 📨 Eine Testnachricht an „{ $name }“ ist unterwegs.
community-left = ⏸ Ich wurde aus „{ $name }“ entfernt (oder darf dort nicht mehr posten). Seine Alarme sind pausiert. Füge mich wieder hinzu und setze sie mit community resume { $name } ID fort.
community-chat-unsupported = In diese Art von Chat können keine Deals gepostet werden.
community-admins-only = Nur die Admins dieses Chats können ändern, was hier gepostet wird.
community-chat-none = Hier wird noch nichts gepostet. Ein Admin kann hier /alert WÖRTER [unter PREIS] schicken, damit passende Deals erscheinen.
community-chat-header = Hier gepostet als „{ $name }“ ({ $count ->
        [one] ein Alarm
       *[other] { $count } Alarme
    }):
community-chat-usage = Admins: /alert WÖRTER fügt einen hinzu · /community pause|resume|delete ID · /community cap N · /community quiet 23:00-07:00
community-channel-private = Bitte verbinde einen Kanal in einem privaten Chat mit mir.
community-channel-unsupported = Kanäle werden im privaten Chat mit dem Telegram-Bot verbunden: Schick dort community add @kanal.
community-channel-not-found = Telegram kennt den Kanal { $channel } nicht. Prüfe seinen @Namen (oder leite mir einen seiner Beiträge weiter).
community-channel-not-channel = { $channel } ist ein Chat, kein Kanal. Für Deals in einer Gruppe füge mich dort hinzu und schick /alert WÖRTER.
community-channel-not-admin = Nur ein Admin von { $channel }, der dort posten darf, kann ihn verbinden.
community-channel-bot-not-admin = Ich bin kein Admin von { $channel } mit dem Recht zu posten. Im Kanal: Administratoren → Admin hinzufügen → mich, mit „Nachrichten senden“; dann schick das noch einmal.
community-channel-down = Ich habe Telegram gerade nicht erreicht. Bitte versuch es in einer Minute noch einmal.
community-rule-not-found = #{ $id } ist kein Alarm dieser Community.
community-rule-limit = #{ $id } bleibt pausiert: Diese Community darf { $max } aktive Alarme haben.
community-rule-paused = ⏸ #{ $id } pausiert.
community-rule-resumed = ▶️ #{ $id } fortgesetzt.
community-rule-deleted = 🗑 #{ $id } gelöscht.
community-rules-limit = „{ $name }“ hat schon { $max } aktive Alarme, so viele wie der Tarif des Inhabers erlaubt. Pausiere oder lösche zuerst einen.
group-welcome = 👋 Hallo! Admins können hier Deals posten lassen: /alert WÖRTER [unter PREIS] (z. B. /alert gaming pc -mac unter 800). /community zeigt, was hier gepostet wird. Für eigene Alarme schreib mir privat.
group-welcome-back = Ich bin zurück: Die Alarme für diesen Chat sind pausiert. Ein Admin kann sie mit /community resume ID fortsetzen.
community-mention-discord-only = Nur Discord-Communities können eine Rolle erwähnen.
community-digest-set = ✅ „{ $name }“: { $digest } ({ $zone })
community-zone-set = ✅ „{ $name }“ hat Ruhezeiten und Zusammenfassung jetzt in { $zone }.
community-mention-set = ✅ Beiträge in „{ $name }“ erwähnen { $role }.
community-mention-off = ✅ Beiträge in „{ $name }“ erwähnen jetzt niemanden.
community-digest = {" "}· { $digest }
community-mentions = {" "}· erwähnt { $role }
community-zone = {" "}· { $zone }
problem-bad-role = „{ $text }“ ist keine Discord-Rolle: Tippe @ und wähle die Rolle, oder füge ihre ID ein; off für keine.
group-anonymous-admin = 🕶 Du schreibst als die Gruppe, darum weiß ich nicht, welcher Admin du bist. Um die Alarme hier zu verwalten, schalte „Anonym bleiben“ in deinen Admin-Rechten aus oder schick mir den Befehl privat.
