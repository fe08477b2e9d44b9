// The credsweep configuration file (TOML, read with toml++).
//
// One file drives audit, enforce, notify and run. Every key, its default and its meaning is
// documented in README.md ("Configuration"); this struct is the single place that holds them.
// Relative paths in the file are resolved against the config file's own directory.
//
// Failure policy: LoadConfig returns kInvalidArgument naming FILE:LINE and the key for a
// syntax error, a wrong type, an unknown section or key (typos must not silently fall back to a
// default), or a missing required key. Secrets (bind password, SMTP password) are never read
// into this struct: only the path of the file or the name of the env var that holds them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"

namespace credsweep {

struct StoreConfig {
  std::string path;  // required for audit/run: the corpus store directory
};

struct DirectoryConfig {
  // "ldaps://host:636", "ldap://host:389" (StartTLS is then required unless allow_plaintext),
  // or "ldif:FILE" (offline; also used by the demo).
  std::string url;
  std::string flavor = "ad";  // "ad" | "openldap"
  std::string base;           // search base DN; required for LDAP urls
  std::string bind_dn;        // empty = anonymous (ldif: not used)
  std::string bind_password_file;  // else env CREDSWEEP_BIND_PASSWORD
  std::string ca_file;             // PEM CA for LDAPS/StartTLS; empty = system store
  bool allow_plaintext = false;    // tests only: plain LDAP without StartTLS
  int page_size = 500;             // paged results page size
  int timeout_seconds = 30;
};

struct HashesConfig {
  // "file": a dump ([hashes] file). "replication": pulled from the DC over MS-DRSR
  // (connectors/replication). Default "file"; OpenLDAP reads sambaNTPassword either way.
  std::string source = "file";
  std::string file;            // a dump: secretsdump, pwdump, smbpasswd (pdbedit -L -w), HashcatNT
  std::string format = "auto";  // "auto" | "secretsdump" | "pwdump" | "smbpasswd" | "hashcat"
  // Fail closed below this share of enabled user accounts with a hash (0-1). Default 0.95.
  double min_coverage = 0.95;
  // Replication: the DC (host or IP; default the host of [directory] url), the account
  // (UPN or DOMAIN\user; default [directory] bind_dn when it is one of those) and its password
  // file (default [directory] bind_password_file, else env CREDSWEEP_BIND_PASSWORD).
  std::string dc;
  std::string username;
  std::string password_file;
  bool kerberos = false;      // Kerberos instead of NTLMv2 (hardened domains refuse NTLM)
  std::string krb5_config;    // KRB5_CONFIG for Kerberos; default the system's
  std::string dc_hostname;    // the DC's DNS name, needed for Kerberos when `dc` is an IP
};

struct ClassifyConfig {
  std::vector<std::string> privileged_groups;  // group names (cn) or DNs; nested membership counts
  std::string it_staff_group;                  // members may hold admin accounts without expiry
  std::vector<std::string> external_ous;       // DN suffixes, e.g. "OU=Consultants,DC=..."
  std::map<std::string, std::string> external_attribute;  // e.g. {employeeType = "consultant"}
  std::vector<std::string> service_ous;
  std::vector<std::string> service_name_patterns;  // Hyperscan regexes on the account name
  // Regexes on the account name; capture group 1 is the linked daily account's name
  // (e.g. "^adm-(.+)$" links adm-jdoe to jdoe). employeeID equality also links.
  std::vector<std::string> admin_name_patterns;
  std::vector<std::string> protected_accounts;  // names; krbtgt and Administrator always protected
  std::string owner_map;                        // CSV: account,email
};

struct RulesConfig {
  uint64_t leaked_min_count = 1;
  int external_max_days = 180;
  int stale_days = 90;
  bool check_history = true;
  std::vector<std::string> disabled;  // rule ids switched off
  int krbtgt_max_days = 180;          // krbtgt-password-old
  int admin_password_max_days = 365;  // admin-password-old
};

// Targeted guessing (engine/guess/guesser.h): guessable-password, password-is-username.
struct GuessConfig {
  std::vector<std::string> words;  // extra base words (e.g. the municipality's own terms)
  std::string words_file;          // one word per line (UTF-8, '#' comments)
  std::string rules_file;          // hashcat rules; empty = the built-in set
  int threads = 0;                 // 0 = every core
};

struct AuthConfig {
  std::vector<std::string> mfa_groups;          // members have a second factor (level 3)
  bool smartcard_counts_as_pki = true;          // SMARTCARD_REQUIRED reaches level 4
  std::map<std::string, int> required_level;    // group name -> required level (1-4)
};

struct RemediationConfig {
  std::vector<std::string> force_rules = {"leaked-password", "empty-password",
                                          "guessable-password", "password-is-username"};
  // Cap on forced changes in one run; nullopt = 10 % of accounts audited (at least 1).
  std::optional<uint64_t> max_forced_changes;
};

struct NotifyConfig {
  std::string language = "en";  // "en" | "da"
  std::string from = "credsweep@localhost";
  std::string fallback_to;       // owner when none is found
  bool users = false;            // also notify users themselves
  std::string template_dir;      // optional overrides: owner_digest.<lang>.txt, user.<lang>.txt
};

struct SmtpConfig {
  std::string url;  // "smtp://host:587" (STARTTLS required) or "smtps://host:465"
  std::string username;
  std::string password_file;  // else env CREDSWEEP_SMTP_PASSWORD
  std::string ca_file;
  bool allow_plaintext = false;  // tests only
  int timeout_seconds = 30;
};

struct LogConfig {
  std::string path;         // action log (JSON lines); default STATE_DIR/actions.log
  std::string signing_key;  // secret key file from `credsweep log keygen`
};

struct RunConfig {
  bool apply = false;      // false: the whole run is a dry run
  // lock, history, outbox, action log; default "credsweep-state" beside the config file
  // (ParseConfig fills it in, resolved, when the key is absent).
  std::string state_dir;
  std::string out_dir;     // reports; default STATE_DIR/reports/<YYYY-MM>
};

struct ExceptionEntry {
  std::string account;
  std::string rule;
  std::string reason;
  std::string approved_by;
  std::string expires;  // ISO date YYYY-MM-DD; the waiver ends at the end of that day UTC
  int line = 0;         // line of the [[exceptions]] entry in Config::origin (for errors)
};

struct Config {
  std::string origin;  // the file it was read from
  StoreConfig store;
  DirectoryConfig directory;
  HashesConfig hashes;
  ClassifyConfig classify;
  RulesConfig rules;
  GuessConfig guess;
  AuthConfig auth;
  RemediationConfig remediation;
  NotifyConfig notify;
  SmtpConfig smtp;
  LogConfig log;
  RunConfig run;
  std::vector<ExceptionEntry> exceptions;
  // "[section] key" -> line in `origin`, for errors found after parsing (e.g. an unknown rule
  // id in [rules] disabled is reported by the audit as FILE:LINE). 0 when the key was absent.
  std::map<std::string, int> key_lines;
  int LineOf(const std::string& key) const {
    auto it = key_lines.find(key);
    return it == key_lines.end() ? 0 : it->second;
  }
};

// Parses a TOML config file; see the failure policy above.
Result<Config> LoadConfig(const std::string& path);

// True when a "scheme://authority/..." URL carries userinfo ("user@" or "user:password@").
// [smtp] url with userinfo is refused: a password there would reach logs and reports.
bool UrlHasUserInfo(std::string_view url);
// Parses TOML text; `origin` names it in errors and relative paths resolve against `base_dir`.
Result<Config> ParseConfig(const std::string& text, const std::string& origin,
                           const std::string& base_dir);

}  // namespace credsweep
