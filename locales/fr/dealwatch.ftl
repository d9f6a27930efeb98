# Dealwatch — français. Mêmes identifiants que locales/en-GB (un test le vérifie).
# Les commandes restent en anglais ; seules les explications sont traduites.

language-name = Français

## Accueil et aide

welcome =
    👋 Bonjour ! Je suis Dealwatch. Je surveille des pages produits et des flux de bons plans, et je vous écris quand les prix baissent.
    Envoyez-moi le lien d'un produit pour le surveiller, par exemple :
      watch https://shop.example/item below 40 €
    Ou dites-moi quels bons plans chercher :
      alert gaming pc -mac under 800
    Envoyez help pour voir tout ce que je sais faire.

help-overview =
    Voici ce que je comprends :
    • watch URL [below PRIX] [drop N%] [instock] — surveiller une page produit (ou envoyez simplement le lien)
    • alert MOTS [-EXCLUS] [under PRIX] [over PRIX] [in CATÉGORIE] [score N] [condition new|used|refurbished] [via CHANNEL] — chercher des bons plans
    • list — vos surveillances et alertes
    • pause ID, resume ID, delete ID — les gérer
    • test ID — les bons plans récents qu'une alerte aurait trouvés
    • history ID — l'historique des prix d'un produit
    • name ID TEXTE — donner un nom à une surveillance ou une alerte
    • quiet 22:00-07:00, digest daily 08:00, cap 5 — quand et combien je vous écris
    • timezone Europe/Paris, language en — votre fuseau et votre langue
    • settings — toutes vos préférences
    • plan, upgrade pro, billing — votre formule
    • community — publier des bons plans dans un salon Discord : collez son URL de webhook
    • link — un seul compte sur plusieurs messageries
    • STOP — plus aucun message
    Envoyez help COMMANDE pour en savoir plus sur une commande.

help-unknown-topic = Il n'y a pas de commande « { $topic } ». Envoyez help pour toutes les voir.

help-watch =
    { usage-watch }
    Surveille une page produit. Je la vérifie régulièrement et vous préviens quand le prix atteint votre cible, baisse du pourcentage indiqué, ou quand le produit est de nouveau en stock. Sans condition, je signale chaque baisse de prix.
    Exemples : watch https://shop.example/item below 40 € · https://shop.example/item drop 15% · watch https://shop.example/item instock
help-alert =
    { usage-alert }
    Cherche des bons plans : n'importe lequel des mots correspond, un mot précédé de - exclut un bon plan, les autres options affinent.
    Exemples : alert gaming pc -mac under 800 · alert lego in toys score 40% · alert iphone condition refurbished under 300 €
help-list =
    { usage-list }
    Affiche vos surveillances et alertes avec leur numéro, leur état et leur prix actuel.
help-pause =
    { usage-pause }
    Suspend une surveillance ou une alerte jusqu'à sa reprise. Plusieurs à la fois : pause 2 3
help-resume =
    { usage-resume }
    Réactive une surveillance ou une alerte suspendue.
help-delete =
    { usage-delete }
    Supprime définitivement une surveillance ou une alerte.
help-test =
    { usage-test }
    Indique combien de bons plans récents une alerte aurait trouvés, avec quelques exemples.
help-history =
    { usage-history }
    Affiche le prix le plus bas, le plus haut et le prix actuel d'un produit surveillé.
help-name =
    { usage-name }
    Donne à une surveillance ou une alerte un nom à vous (40 caractères au plus), affiché dans votre liste. Envoyez name ID seul pour retirer le nom.
    Exemples : name 3 Vélo des enfants · name 5
help-community =
    { usage-community }
    Publie des bons plans pour tous dans un salon Discord, un groupe Telegram ou un canal Telegram. Discord, sans bot : Paramètres du serveur → Intégrations → Webhooks → Nouveau webhook, choisis le salon, copie l’URL du webhook et colle-la-moi en privé. Canal Telegram : fais de moi un admin avec « Publier des messages », puis envoie ici community add @toncanal. Groupe Telegram ou salon Discord avec le bot : un admin y envoie /alert MOTS.
    Envoie alert MOTS to NOM pour une alerte qui publie dans l’une des tiennes. Chaque communauté reçoit au plus 50 bons plans par jour sauf si tu fixes une autre limite, et peut avoir des heures de silence, un résumé, son propre fuseau horaire et (Discord) un rôle à mentionner. Sans NOM, tapé dans un groupe, il s’agit de ce groupe.
    Exemples : community add https://discord.com/api/webhooks/… deals · community add @bons_plans · community digest deals daily 18:00 · community pause deals 3 · community remove deals
help-quiet =
    { usage-quiet }
    Aucune alerte pendant ce créneau (dans votre fuseau) ; elles arrivent à sa fin. quiet off le supprime.
help-digest =
    { usage-digest }
    Regroupe les alertes en un message par jour ou par semaine, à l'heure choisie. digest off envoie chaque alerte séparément.
help-cap =
    { usage-cap }
    Au plus N alertes par jour ; les autres attendent votre prochain récapitulatif. cap off supprime la limite.
help-timezone =
    { usage-timezone }
    Définit votre fuseau horaire pour les heures calmes et les récapitulatifs. Utilisez un nom comme Europe/Paris ou America/Montreal.
help-language =
    { usage-language }
    Définit la langue dans laquelle j'écris.
help-settings =
    { usage-settings }
    Affiche toutes vos préférences.
help-plan =
    { usage-plan }
    Affiche votre formule, ses limites et votre utilisation.
help-upgrade =
    { usage-upgrade }
    Vous envoie un lien de paiement sécurisé pour la formule Pro ou Premium.
help-billing =
    { usage-billing }
    Vous envoie un lien pour gérer votre abonnement et vos factures.
help-link =
    { usage-link }
    Vous donne un code à usage unique. Envoyez link CODE depuis une autre messagerie pour y retrouver vos surveillances et alertes.
help-start =
    { usage-start }
    Vous accueille et montre comment commencer.
help-help =
    { usage-help }
    Liste les commandes, ou en explique une.
help-stop =
    STOP
    Arrête tous les messages vers cette conversation. Envoyez START pour les réactiver.

usage-watch = watch URL [below PRIX] [drop N%] [instock]
usage-alert = alert MOTS... [-EXCLUS...] [under PRIX] [over PRIX] [in CATÉGORIE] [score N] [condition new|used|refurbished] [via CHANNEL]
usage-list = list
usage-pause = pause ID
usage-resume = resume ID
usage-delete = delete ID
usage-test = test ID
usage-history = history ID
usage-name = name ID TEXTE | name ID
usage-community = community [list] | community add URL-WEBHOOK|@CANAL [NOM] | community test|remove [NOM] | community cap|quiet|digest|timezone|mention [NOM] VALEUR | community pause|resume|delete [NOM] ID
usage-quiet = quiet HH:MM-HH:MM | quiet off
usage-digest = digest daily [HH:MM] | digest weekly [JOUR] [HH:MM] | digest off
usage-cap = cap N | cap off
usage-timezone = timezone FUSEAU
usage-language = language CODE
usage-settings = settings
usage-plan = plan
usage-upgrade = upgrade pro | upgrade premium
usage-billing = billing
usage-link = link | link CODE
usage-start = start
usage-help = help [COMMANDE]
usage-stop = STOP

## Non compris

delete-none-named = Aucune de vos surveillances ou alertes ne correspond à « { $words } ». Envoyez « list » pour les voir avec leurs numéros.
delete-which = Plusieurs correspondent à « { $words } ». Laquelle dois-je supprimer ?
unclear-which = Je ne suis pas sûr de comprendre. Tu voulais dire ceci ? Appuie dessus pour continuer :
    { $readings }
thanks-reply = Avec plaisir ! Je continue de surveiller. 👍
unknown-command = Je ne connais pas la commande « { $word } ».
did-you-mean = Vouliez-vous dire : { $usage }
send-help = Envoyez help pour voir ce que je sais faire.
try-usage = Essayez : { $usage }

problem-empty = Ce message était vide. Envoyez help pour voir ce que je sais faire.
problem-too-long = Ce message est trop long ({ $chars } caractères) ; une commande tient en { $max }.
problem-missing-url = Quel produit ? Envoyez son lien.
problem-bad-url = « { $text } » ne ressemble pas à un lien web.
problem-unsupported-scheme = Je ne peux surveiller que des pages web (http ou https), pas des liens { $scheme }.
problem-url-credentials = Ce lien contient un identifiant ou un mot de passe ; envoyez le lien simple.
problem-two-urls = Un seul lien à la fois, s'il vous plaît.
problem-bad-price = Je n'ai pas pu lire « { $text } » comme un prix.
problem-mixed-currencies = Ces prix sont dans des devises différentes.
problem-bounds-inverted = Le prix minimum est au-dessus du maximum.
problem-bad-percent = « { $text } » n'est pas un pourcentage entre 0 et 100.
problem-missing-id = Lequel ? Indiquez son numéro dans list.
problem-bad-id = « { $text } » n'est pas un numéro de votre liste.
problem-too-many-ids = Indiquez un seul numéro ici (ou au plus { $max }).
problem-label-too-long = Un nom peut compter au plus { $max } caractères.
problem-bad-webhook = Ce n'est pas une URL de webhook Discord ({ $why ->
        [scheme] elle doit commencer par https://
        [host] elle doit être sur discord.com
        [port] elle ne doit pas indiquer de port
        [credentials] elle ne doit pas contenir d'identifiant ni de mot de passe
        [query] rien ne doit suivre le jeton
        [path] elle doit ressembler à https://discord.com/api/webhooks/ID/JETON
        [not-url] elle doit ressembler à https://discord.com/api/webhooks/ID/JETON
       *[other] copiez-la à nouveau depuis les intégrations du salon
    }).
problem-missing-community-name = Quelle communauté ? Envoyez community pour voir leurs noms.
problem-bad-community-name = « { $text } » ne peut pas être un nom de communauté : lettres, chiffres, - et _, { $max } au plus.
problem-bad-time = Je n'ai pas pu lire « { $text } » comme une heure.
problem-empty-window = Le début et la fin sont à la même heure.
problem-bad-day = Un récapitulatif quotidien n'a pas de jour ; vouliez-vous dire weekly le { $text } ?
problem-missing-words = Quels mots dois-je chercher ?
problem-too-many-words = C'est trop de mots ; une alerte peut en avoir jusqu'à { $max }.
problem-word-too-long = « { $word } » est trop long pour un mot de recherche.
problem-bad-score = « { $text } » n'est pas un score ; utilisez un nombre de 0 à 1 ou un pourcentage.
problem-bad-condition = « { $text } » n'est pas un état ; utilisez new, used ou refurbished.
problem-bad-channel = « { $text } » n'est pas un canal ; utilisez telegram, discord, whatsapp ou sms.
problem-missing-plan = Quelle formule : pro ou premium ?
problem-bad-plan = Il n'y a pas de formule « { $text } » ; choisissez pro ou premium.
problem-bad-cap = « { $text } » n'est pas une limite quotidienne ; utilisez un nombre de 0 à { $max }, ou off.
problem-bad-code = « { $text } » n'est pas un code de liaison.
problem-unexpected = Je n'ai pas compris « { $text } » ici.

## Surveillances et alertes

watch-created =
    👀 Surveillance #{ $id } : { $url }
    Je vous préviendrai { $conditions }.
    Première vérification en attente : je vous enverrai le produit et son prix.
watch-updated =
    👀 #{ $id } mise à jour : { $url }
    Je vous préviendrai { $conditions }.
watch-refused-private = Je ne peux pas surveiller ce lien : il pointe vers une adresse de réseau privé.
watch-refused-local = Je ne peux pas surveiller ce lien : son adresse ne fonctionne que dans un réseau local.
condition-target = quand il coûtera { $price } ou moins
condition-drop = quand le prix baissera de { $percent }
condition-stock = quand il sera de nouveau en stock
condition-any-drop = à chaque baisse de prix
word-or = {" "}ou{" "}

rule-created = 🔔 Alerte #{ $id } enregistrée : { $summary }
rule-excluded = sans { $words }
rule-under = moins de { $price }
rule-over = plus de { $price }
rule-category = dans { $category }
rule-score = score { $score } et plus
condition-new = neuf
condition-used = occasion
condition-refurbished = reconditionné

limit-watches = Votre formule { $plan } permet { $limit ->
        [one] une surveillance active
       *[other] { $limit } surveillances actives
    }.
limit-rules = Votre formule { $plan } permet { $limit ->
        [one] une alerte active
       *[other] { $limit } alertes actives
    }.
limit-upgrade-hint = Suspendez-en ou supprimez-en une, ou envoyez « upgrade { $next } » pour plus.

button-pause = Pause
button-delete = Supprimer
button-history = Historique
button-test = Tester
button-plan = Ma formule
button-billing = Facturation

list-empty = Vous ne surveillez encore rien. Envoyez un lien produit, ou essayez : alert gaming pc under 800
list-header = { $count ->
        [one] Votre surveillance ou alerte :
       *[other] Vos { $count } surveillances et alertes :
    }
list-watch = #{ $id } 👀 { $name } — { $status } ({ $conditions })
list-rule = #{ $id } 🔔 { $summary }
state-paused = {" "}⏸ en pause
status-pending = première vérification en attente
status-out-of-stock = en rupture de stock
status-no-price = aucun prix trouvé

paused = ⏸ #{ $id } en pause.
resumed = ▶️ #{ $id } reprise.
already-paused = #{ $id } est déjà en pause.
already-active = #{ $id } est déjà active.
deleted = 🗑 #{ $id } supprimée.
not-found = Vous n'avez rien sous le numéro #{ $id }. Envoyez list pour voir vos numéros.
name-set = ✏️ #{ $id } s'appelle maintenant « { $label } ».
name-cleared = ✏️ #{ $id } n'a plus de nom.
list-labelled = « { $label } » { $what }
community-none = Vous n'avez pas encore de communauté. Pour publier des bons plans dans un salon Discord, collez ici son URL de webhook (Paramètres du serveur → Intégrations → Webhooks).
community-list-header = Vos communautés ({ $count }) :
community-list-line = • { $name } — { $place } · { $controls }
community-disabled = {" "}⏸ arrêtée : Discord ne l'accepte plus
community-cap = {" "}· au plus { $cap } par jour
community-quiet = {" "}· silence { $start }-{ $end }
community-cap-set = ✅ « { $name } » reçoit au plus { $cap } bons plans par jour ; les suivants du jour sont ignorés.
community-quiet-set = ✅ Rien n'est publié dans « { $name } » de { $start } à { $end } ({ $zone }) ; les bons plans trouvés entre-temps suivent ensuite.
community-quiet-off = ✅ « { $name } » n'a plus de plage de silence.
community-add-private = Ne partagez pas une URL de webhook dans un groupe : qui la possède peut publier en son nom. Supprimez celui-ci dans Discord (Intégrations → Webhooks), créez-en un nouveau et envoyez-le-moi en privé.
community-unavailable = Les communautés ne sont pas encore activées ici.
community-limit = Votre offre permet { $max ->
        [one] une communauté
       *[other] { $max } communautés
    }. Retirez-en une d'abord (community remove NOM), ou envoyez upgrade pro.
community-webhook-gone = Selon Discord, ce webhook n'existe pas (il a peut-être été supprimé). Copiez à nouveau l'URL depuis les intégrations du salon.
community-discord-down = Je n'ai pas pu joindre Discord. Réessayez dans une minute.
community-webhook-refused = Discord a refusé ce webhook. Copiez à nouveau l'URL depuis les intégrations du salon.
community-test-post = ✅ Dealwatch est connecté : les bons plans pour « { $name } » seront publiés ici.
community-added = ✅ « { $name } » ({ $place }) est connecté ; un message de test est en route. Envoie alert MOTS to { $name } pour que les bons plans y soient publiés.
community-again = Ce webhook est déjà connecté sous le nom « { $name } » ; il est actif.
community-name-taken = Vous avez déjà une communauté nommée « { $name } ». Ajoutez un autre nom après l'URL.
community-not-found = Vous n'avez pas de communauté nommée « { $name } ». Envoyez community pour les voir.
community-removed = 🗑 « { $name } » retirée ; plus rien n'y sera publié.
community-secret-lost = Je ne peux plus ouvrir le webhook de « { $name } » (la clé du serveur a changé). Collez à nouveau son URL pour le reconnecter.

test-not-rule = #{ $id } est une surveillance ; test fonctionne avec les alertes.
test-none = Aucun bon plan { $days ->
        [one] du dernier jour
       *[other] des { $days } derniers jours
    } ne correspond encore à #{ $id }.
test-result = { $count ->
        [one] Un bon plan
       *[other] { $count } bons plans
    } { $days ->
        [one] du dernier jour
       *[other] des { $days } derniers jours
    } { $count ->
        [one] correspond
       *[other] correspondent
    } à #{ $id } :
test-sample = • { $title } — { $price } { $url }

history-not-watch = #{ $id } est une alerte ; history fonctionne avec les surveillances.
history-empty = Pas encore de prix pour #{ $id } : la première vérification est en attente.
history-summary =
    📈 #{ $id } { $name }
    Actuel { $current } · le plus bas { $lowest } · le plus haut { $highest }
    { $points ->
        [one] Un prix relevé
       *[other] { $points } prix relevés
    } depuis le { $since }.

## Préférences

saved = ✅ Enregistré. { $setting }
settings-header = ⚙️ Vos préférences :
setting-quiet-on = Heures calmes : { $start }–{ $end } ({ $zone }).
setting-quiet-off = Heures calmes : désactivées.
setting-digest-daily = Récapitulatif : tous les jours à { $time }.
setting-digest-weekly = Récapitulatif : chaque semaine le { $day } à { $time }.
setting-digest-off = Récapitulatif : désactivé, chaque alerte est envoyée seule.
setting-cap = Limite quotidienne : { $cap ->
        [one] une alerte
       *[other] { $cap } alertes
    } par jour.
setting-cap-off = Limite quotidienne : aucune.
setting-timezone = Fuseau horaire : { $zone }.
setting-language = Langue : { $language }.
language-available = Disponibles : { $available }.
language-unknown = Je ne parle pas encore « { $code } ». Disponibles : { $available }.
timezone-unknown = Je ne connais pas le fuseau « { $zone } ». Utilisez un nom comme Europe/Paris ou America/Montreal.
timezone-which = Quel « { $place } » ? Choisissez son fuseau horaire :

day-monday = lundi
day-tuesday = mardi
day-wednesday = mercredi
day-thursday = jeudi
day-friday = vendredi
day-saturday = samedi
day-sunday = dimanche

## Formules et facturation

plan-name-free = Gratuite
plan-name-pro = Pro
plan-name-premium = Premium
plan-show =
    Votre formule : { $plan }
    Surveillances : { $watches } sur { $watchLimit } · Alertes : { $rules } sur { $ruleLimit }
    Prix vérifiés toutes les { $interval } · Alertes SMS : { $sms } par jour
plan-renews = Renouvellement le { $date }.
plan-upgrade-hint = Envoyez « upgrade pro » ou « upgrade premium » pour plus.
interval-hours = { $hours ->
        [one] heure
       *[other] { $hours } heures
    }
interval-minutes = { $minutes ->
        [one] minute
       *[other] { $minutes } minutes
    }
upgrade-already = Vous avez déjà la formule { $plan }.
upgrade-unavailable = Les changements de formule ne sont pas encore disponibles sur ce serveur : les paiements ne sont pas configurés.
billing-unavailable = La facturation n'est pas encore disponible sur ce serveur : les paiements ne sont pas configurés.
upgrade-link = 💳 Passez à la formule { $plan } en toute sécurité avec Stripe ici : { $url }
    Vous recevrez un message ici dès que le paiement sera passé.
upgrade-change = Vous payez déjà la formule { $plan }. Changez de formule ici : { $url }
billing-link = 💳 Gérez votre abonnement, votre carte et vos factures ici : { $url }
    Le lien ne vaut que peu de temps ; renvoyez « billing » pour en obtenir un nouveau.
payment-link-expired = 🔒 Ce lien de paiement n'a pas pu être envoyé à temps, je l'ai donc supprimé. Envoyez « { $command } » à nouveau pour en obtenir un nouveau.
billing-none = Vous n'avez pas encore d'abonnement. Envoyez « upgrade pro » ou « upgrade premium » pour en souscrire un.
billing-failed = Les paiements sont momentanément indisponibles. Réessayez dans une minute.
plan-changed-up = 🎉 Vous avez maintenant la formule { $plan } ! Envoyez « plan » pour voir vos nouvelles limites.
plan-changed-down = Vous avez maintenant la formule { $plan }.
plan-paused-items = Pour respecter ses limites, ceux-ci sont en pause (pas supprimés) : { $items }. Supprimez-en d'autres, puis « resume ID » pour les réactiver.
plan-resumed-items = Réactivés : { $items }.
payment-failed = ⚠️ Votre dernier paiement n'a pas abouti. Envoyez « billing » pour mettre à jour votre carte et garder votre formule.
payment-failed-link = ⚠️ Votre dernier paiement n'a pas abouti. Mettez à jour votre carte ici pour garder votre formule : { $url }
link-code = 🔗 Votre code de liaison est { $code }. Dans les { $minutes } minutes, envoyez « link { $code } » à Dealwatch depuis votre autre messagerie : les deux partageront les mêmes surveillances et alertes.
link-too-many = Vous avez demandé trop de codes de liaison dans l'heure. Réessayez plus tard.
link-done = ✅ Liaison faite ! Cette conversation partage désormais surveillances, alertes et préférences avec votre autre compte.
link-invalid = Ce code est inconnu ou a expiré. Envoyez « link » dans votre autre messagerie pour en obtenir un nouveau.
link-same = Cette conversation est déjà liée à ce compte.
link-confirm = 🔗 Le code { $code } appartient à un compte Dealwatch sur { $apps } (offre { $plan }). En les reliant, { $watches ->
    [one] la surveillance
   *[other] les { $watches } surveillances
} et { $alerts ->
    [one] l'alerte
   *[other] les { $alerts } alertes
} de cette conversation { $channel }, votre offre et vos réglages passent dans ce compte : quiconque l'utilise pourra les voir et les gérer. Ne reliez que si ce compte est le vôtre. Pour relier, envoyez « link { $code } oui ».
link-confirm-button = Oui, relier mes comptes
link-both-paying = Les deux comptes ont un abonnement payant, je ne les ai donc pas reliés : l'un continuerait à payer pour rien. Résiliez-en un avec « billing », puis reliez à nouveau.

## Désinscription et erreurs

stopped = Vous êtes désinscrit et ne recevrez plus de messages ici. Envoyez START pour les réactiver.
unstopped = Bon retour ! Les messages vers cette conversation sont réactivés.
error-internal = Désolé, un problème est survenu de notre côté. Réessayez dans un instant.

## Résultats et alertes

watch-ready = 🔎 #{ $id } est { $name } : { $status }. Je continue à vérifier et vous préviens en cas de changement.
watch-failed = ⚠️ Je n'ai pas pu lire de prix sur #{ $id } ({ $url }) : { $reason }. Vérifiez le lien, ou supprimez-le.
alert-target = 🔔 #{ $id } { $name } est à votre prix cible ou en dessous !
alert-drop = 🔔 #{ $id } { $name } a baissé d'au moins votre pourcentage !
alert-any-drop = 🔔 Baisse de prix sur #{ $id } { $name }
alert-back-in-stock = 📦 #{ $id } { $name } est de nouveau en stock !
alert-price-change = { $old } → { $new } ({ $percent } de moins)
alert-price-now = Maintenant { $new }
alert-lowest = Prix le plus bas vu : { $lowest }

## Community rules (Discord guild channels)

rule-created-community = 📣 Alerte #{ $id } enregistrée : { $summary }. Les bons plans correspondants seront publiés dans ce salon.
rule-created-destination = 📣 Alerte #{ $id } enregistrée : { $summary }. Les bons plans correspondants seront publiés dans « { $name } ».
community-stopped = ⏸ Discord n'accepte plus le webhook de « { $name } » (lui ou son salon a été supprimé). Ses alertes sont en pause. Collez une nouvelle URL de webhook avec community add URL { $name }, puis reprenez-les.
rule-community-not-allowed = Seuls les membres qui peuvent gérer ce salon peuvent créer des alertes qui y publient ; celle-ci vous prévient donc en privé.
rule-community-no-access = Je ne peux pas publier dans ce salon (il me faut Voir le salon, Envoyer des messages et Intégrer des liens) ; cette alerte vous prévient donc en privé.
list-rule-community = {" "}📣 publie dans un salon
list-rule-destination = {" "}📣 publie dans { $name }

## Groupes : réponses destinées à une seule personne

group-private-only = 🔒 Je réponds à cela dans notre conversation privée, pour que personne d'autre ici ne voie vos suivis et vos alertes. Ouvrez la conversation avec moi, appuyez sur Démarrer, puis renvoyez-le là-bas.
group-open-private = Ouvrir la conversation privée

## Slash command options (Discord)

option-url = Le lien de la page produit
option-below = Alerte quand le prix est inférieur ou égal, p. ex. 40 €
option-drop = Alerte quand le prix baisse d’autant, p. ex. 10 %
option-instock = Alerte quand il est de nouveau en stock
option-words = Mots recherchés, p. ex. pc gamer
option-exclude = Mots qui excluent un bon plan, p. ex. mac reconditionné
option-under = Prix maximum, p. ex. 800
option-over = Prix minimum, p. ex. 100
option-category = Seulement les bons plans de cette catégorie
option-score = Score minimum, de 0 à 1 ou en pourcentage
option-condition = Seulement les bons plans dans cet état
option-ids = Un ou plusieurs numéros, p. ex. 3 ou 3 4
option-id = Le numéro dans votre liste, p. ex. 3
option-label = Le nom, 40 caractères au plus ; à omettre pour retirer le nom
option-action = Que faire : list, add, test, remove, pause, resume, delete, cap ou quiet
option-target = L’URL du webhook ou le @canal (add), un numéro d’alerte, une limite ou des heures de silence
option-community = Le nom de la communauté (aucun : ce salon)
option-hours = La plage de silence, p. ex. 22:00-07:00, ou off
option-schedule = À quelle fréquence, ou off
option-time = L’heure d’envoi, p. ex. 08:00
option-limit = Nombre maximum d’alertes par jour, ou off
option-zone = Votre fuseau horaire, p. ex. Europe/Paris
option-language = Une langue, p. ex. en, de ou fr
option-plan = La formule souhaitée
option-code = Le code de votre autre messagerie
option-command = Une commande à expliquer

## Deals matching rules

deal-match = 🔥 Bon plan pour #{ $id } : { $title }
deal-community = 🔥 { $title }
deal-price = { $price }
deal-price-was = { $price } (au lieu de { $was }, −{ $off })
deal-lowest = Prix le plus bas vu : { $price }
deal-merchant = chez { $merchant }

## Digests and channel problems
channel-name = { $channel ->
    [telegram] Telegram
    [discord] Discord
    [whatsapp] WhatsApp
    [sms] SMS
   *[console] la console
}
digest-header = 📬 Votre récapitulatif : { $count ->
    [one] une alerte
   *[other] { $count } alertes
}
digest-group-watch = Suivi #{ $id }
digest-group-rule = Alerte #{ $id }
digest-item = • { $title } : { $price }
digest-item-off = • { $title } : { $price } (−{ $off })
digest-item-no-price = • { $title }
digest-more = …et { $count } de plus.
channel-lost = ⚠️ Nous ne pouvons plus vous joindre sur { $channel } ({ $why }), vos alertes arrivent donc ici. Écrivez-nous de nouveau sur { $channel } pour le réactiver.
community-place-webhook = Discord { $url }
community-place-discord-channel = salon Discord { $id }
community-place-telegram-group = groupe Telegram { $id }
community-place-telegram-channel = canal Telegram { $id }
community-test-queued = 📨 Un message de test part vers « { $name } ».
community-left = ⏸ On m’a retiré de « { $name } » (ou je ne peux plus y publier). Ses alertes sont en pause. Rajoute-moi, puis reprends-les avec community resume { $name } ID.
community-chat-unsupported = Impossible de publier des bons plans dans ce type de discussion.
community-admins-only = Seuls les admins de cette discussion peuvent changer ce qui y est publié.
community-chat-none = Rien n’est encore publié ici. Un admin peut envoyer /alert MOTS [sous PRIX] ici pour y faire publier les bons plans.
community-chat-header = Publié ici sous « { $name } » ({ $count ->
        [one] une alerte
       *[other] { $count } alertes
    }) :
community-chat-usage = Admins : /alert MOTS en ajoute une · /community pause|resume|delete ID · /community cap N · /community quiet 23:00-07:00
community-channel-private = Connecte un canal dans une discussion privée avec moi, s’il te plaît.
community-channel-unsupported = Les canaux se connectent depuis une discussion privée avec le bot Telegram : envoie-y community add @canal.
community-channel-not-found = Telegram ne connaît pas le canal { $channel }. Vérifie son @nom (ou transfère-moi une de ses publications).
community-channel-not-channel = { $channel } est une discussion, pas un canal. Pour un groupe, ajoute-moi et envoie-y /alert MOTS.
community-channel-not-admin = Seul un admin de { $channel } qui peut y publier peut le connecter.
community-channel-bot-not-admin = Je ne suis pas admin de { $channel } avec le droit de publier. Dans le canal : Administrateurs → Ajouter un admin → moi, avec « Publier des messages » ; puis renvoie ceci.
community-channel-down = Je n’ai pas pu joindre Telegram. Réessaie dans une minute.
community-rule-not-found = #{ $id } n’est pas une alerte de cette communauté.
community-rule-limit = #{ $id } reste en pause : cette communauté peut avoir { $max } alertes actives.
community-rule-paused = ⏸ #{ $id } en pause.
community-rule-resumed = ▶️ #{ $id } reprise.
community-rule-deleted = 🗑 #{ $id } supprimée.
community-rules-limit = « { $name } » a déjà { $max } alertes actives, le maximum du forfait de son propriétaire. Mets-en une en pause ou supprime-la d’abord.
group-welcome = 👋 Bonjour ! Les admins peuvent faire publier des bons plans ici : /alert MOTS [sous PRIX] (par ex. /alert pc gamer -mac sous 800). /community montre ce qui est publié ici. Pour tes propres alertes, écris-moi en privé.
group-welcome-back = Me revoilà : les alertes publiées ici sont en pause. Un admin peut les reprendre avec /community resume ID.
community-mention-discord-only = Seules les communautés Discord peuvent mentionner un rôle.
community-digest-set = ✅ « { $name } » : { $digest } ({ $zone })
community-zone-set = ✅ « { $name } » a maintenant ses heures de silence et son résumé en { $zone }.
community-mention-set = ✅ Les publications dans « { $name } » mentionnent { $role }.
community-mention-off = ✅ Les publications dans « { $name } » ne mentionnent plus personne.
community-digest = {" "}· { $digest }
community-mentions = {" "}· mentionne { $role }
community-zone = {" "}· { $zone }
problem-bad-role = « { $text } » n’est pas un rôle Discord : tape @ et choisis le rôle, ou colle son identifiant ; off pour aucun.
group-anonymous-admin = 🕶 Tu publies au nom du groupe, je ne peux donc pas savoir quel admin tu es. Pour gérer les alertes publiées ici, désactive « Rester anonyme » dans tes droits d’admin, ou envoie-moi la commande en privé.
