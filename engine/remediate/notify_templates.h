// The built-in notification texts (English and Danish). Internal to engine/remediate/notify.cc;
// a header only so the texts read as data, apart from the code that fills them in.
// Format of every template: "Subject: ..." line, empty line, body (see notify.h).
#pragma once

namespace credsweep::internal {

inline constexpr const char kOwnerDigestEn[] =
    R"(Subject: Action needed: {{count}} account(s) you own use a leaked or empty password ({{month}})

Hello {{owner}},

The monthly password check ({{month}}, run {{run_id}}) found that the accounts below, which you
are registered as the owner of, use a password that must be replaced:

{{accounts}}
These are service or system accounts, so their passwords have NOT been reset automatically:
that could stop the services that depend on them. Please change each password to a new, long,
unique one as soon as possible, and update it everywhere the account is used.

This message contains no passwords. Questions: reply to {{from}}.
)";

inline constexpr const char kOwnerDigestDa[] =
    R"(Subject: Handling påkrævet: {{count}} konto(er), du ejer, bruger en lækket eller tom adgangskode ({{month}})

Hej {{owner}},

Den månedlige kontrol af adgangskoder ({{month}}, kørsel {{run_id}}) har fundet, at kontiene
nedenfor, som du er registreret som ejer af, bruger en adgangskode, der skal udskiftes:

{{accounts}}
Det er service- eller systemkonti, så deres adgangskoder er IKKE blevet nulstillet automatisk:
det kunne stoppe de tjenester, der er afhængige af dem. Skift hver adgangskode til en ny, lang
og unik adgangskode hurtigst muligt, og opdatér den alle steder, hvor kontoen bruges.

Beskeden indeholder ingen adgangskoder. Spørgsmål: svar til {{from}}.
)";

inline constexpr const char kUserEn[] =
    R"(Subject: Your password must be changed ({{month}})

Hello {{name}},

The monthly password check ({{month}}) found that the password of your account {{account}}
{{reason}}. You will be asked to choose a new password the next time you log on.

Choose a new, long password that you do not use anywhere else.

This message contains no passwords and no links. Questions: reply to {{from}}.
)";

inline constexpr const char kUserDa[] =
    R"(Subject: Din adgangskode skal skiftes ({{month}})

Hej {{name}},

Den månedlige kontrol af adgangskoder ({{month}}) har fundet, at adgangskoden til din konto
{{account}} {{reason}}. Du bliver bedt om at vælge en ny adgangskode, næste gang du logger på.

Vælg en ny, lang adgangskode, som du ikke bruger andre steder.

Beskeden indeholder ingen adgangskoder og ingen links. Spørgsmål: svar til {{from}}.
)";

}  // namespace credsweep::internal
