#include "engine/config/config.h"

#include <cstdio>
#include <functional>
#include <limits>
#include <toml++/toml.h>

#include "engine/base/file_util.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

// Every error names FILE:LINE and the dotted key, e.g.
//   "/etc/credsweep.toml:12: [rules] stale_days: expected an integer, got a string".
// A typo must never fall back to a default silently, so unknown keys are errors too.
class Parser {
 public:
  Parser(std::string origin, std::string base_dir)
      : origin_(std::move(origin)), base_dir_(std::move(base_dir)) {}

  Status Where(const toml::source_region& src, const std::string& key,
               const std::string& what) const {
    return Status::InvalidArgument(origin_ + ":" + std::to_string(src.begin.line) + ": " + key +
                                   ": " + what);
  }

  static const char* TypeName(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a number";
      case toml::node_type::boolean: return "a boolean";
      case toml::node_type::array: return "an array";
      case toml::node_type::table: return "a table";
      case toml::node_type::date: return "a date";
      case toml::node_type::time: return "a time";
      case toml::node_type::date_time: return "a date-time";
      default: return "nothing";
    }
  }

  Status WrongType(const toml::node& n, const std::string& key, const char* expected) const {
    return Where(n.source(), key, std::string("expected ") + expected + ", got " + TypeName(n));
  }

  Status String(const toml::node& n, const std::string& key, std::string* out) const {
    if (!n.is_string()) return WrongType(n, key, "a string");
    *out = n.as_string()->get();
    return Status::Ok();
  }

  // A path: relative paths resolve against the config file's directory, so the same file works
  // from cron, systemd and an interactive shell.
  Status Path(const toml::node& n, const std::string& key, std::string* out) const {
    CS_RETURN_IF_ERROR(String(n, key, out));
    *out = ResolvePath(base_dir_, *out);
    return Status::Ok();
  }

  Status Bool(const toml::node& n, const std::string& key, bool* out) const {
    if (!n.is_boolean()) return WrongType(n, key, "a boolean (true or false)");
    *out = n.as_boolean()->get();
    return Status::Ok();
  }

  Status Int(const toml::node& n, const std::string& key, int64_t min, int64_t max,
             int64_t* out) const {
    if (!n.is_integer()) return WrongType(n, key, "an integer");
    int64_t v = n.as_integer()->get();
    if (v < min || v > max) {
      return Where(n.source(), key,
                   "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                       ", got " + std::to_string(v));
    }
    *out = v;
    return Status::Ok();
  }

  Status Int32(const toml::node& n, const std::string& key, int min, int max, int* out) const {
    int64_t v = 0;
    CS_RETURN_IF_ERROR(Int(n, key, min, max, &v));
    *out = static_cast<int>(v);
    return Status::Ok();
  }

  Status StringList(const toml::node& n, const std::string& key,
                    std::vector<std::string>* out) const {
    if (!n.is_array()) return WrongType(n, key, "an array of strings");
    out->clear();
    for (const toml::node& e : *n.as_array()) {
      if (!e.is_string()) return WrongType(e, key, "an array of strings");
      out->push_back(e.as_string()->get());
    }
    return Status::Ok();
  }

  // One of a fixed set of words.
  Status Choice(const toml::node& n, const std::string& key,
                std::initializer_list<const char*> allowed, std::string* out) const {
    std::string v;
    CS_RETURN_IF_ERROR(String(n, key, &v));
    std::string list;
    for (const char* a : allowed) {
      if (v == a) {
        *out = v;
        return Status::Ok();
      }
      list += std::string(list.empty() ? "" : ", ") + "\"" + a + "\"";
    }
    return Where(n.source(), key, "must be one of " + list + ", got \"" + v + "\"");
  }

  using KeyHandler = std::function<Status(const toml::node&, const std::string& key)>;

  // Walks one section: every key must have a handler; unknown keys are errors.
  Status Section(const toml::node& n, const std::string& section,
                 const std::vector<std::pair<const char*, KeyHandler>>& handlers) const {
    if (!n.is_table()) return WrongType(n, "[" + section + "]", "a table");
    for (auto&& [k, v] : *n.as_table()) {
      const std::string name(k.str());
      const std::string key = "[" + section + "] " + name;
      const KeyHandler* h = nullptr;
      for (const auto& [hn, hf] : handlers) {
        if (name == hn) h = &hf;
      }
      if (h == nullptr) {
        std::string known;
        for (const auto& [hn, hf] : handlers) known += std::string(known.empty() ? "" : ", ") + hn;
        // The key's own position when toml++ recorded it, else the value's.
        const toml::source_region& src = k.source().begin.line ? k.source() : v.source();
        return Where(src, key, "unknown key (known keys: " + known + ")");
      }
      CS_RETURN_IF_ERROR((*h)(v, key));
      if (lines_ != nullptr) (*lines_)[key] = static_cast<int>(v.source().begin.line);
    }
    return Status::Ok();
  }

  Status Exception(const toml::node& n, ExceptionEntry* e) const {
    const std::string sec = "[[exceptions]]";
    CS_RETURN_IF_ERROR(Section(
        n, "[exceptions]",
        {{"account", [&](const toml::node& v, const std::string& k) { return String(v, k, &e->account); }},
         {"rule", [&](const toml::node& v, const std::string& k) { return String(v, k, &e->rule); }},
         {"reason", [&](const toml::node& v, const std::string& k) { return String(v, k, &e->reason); }},
         {"approved_by",
          [&](const toml::node& v, const std::string& k) { return String(v, k, &e->approved_by); }},
         {"expires", [&](const toml::node& v, const std::string& k) -> Status {
            // Accept a TOML date (expires = 2027-01-31) as well as a string.
            if (v.is_date()) {
              const toml::date d = v.as_date()->get();
              char buf[16];
              std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d.year),
                            static_cast<int>(d.month), static_cast<int>(d.day));
              e->expires = buf;
            } else {
              CS_RETURN_IF_ERROR(String(v, k, &e->expires));
            }
            if (e->expires.size() != 10 || !ParseUtcIso(e->expires).ok()) {
              return Where(v.source(), k, "must be a date YYYY-MM-DD, got \"" + e->expires + "\"");
            }
            return Status::Ok();
          }}}));
    e->line = static_cast<int>(n.source().begin.line);
    // A waiver without who approved it, why and until when is not a documented approval (S6).
    const std::pair<const char*, const std::string*> required[] = {
        {"account", &e->account}, {"rule", &e->rule}, {"reason", &e->reason},
        {"approved_by", &e->approved_by}, {"expires", &e->expires}};
    for (const auto& [name, value] : required) {
      if (value->empty()) {
        return Where(n.source(), sec + " " + name, "required key is missing or empty");
      }
    }
    return Status::Ok();
  }

  Result<Config> Parse(const std::string& text) const {
    toml::table root;
    try {
      root = toml::parse(text, origin_);
    } catch (const toml::parse_error& err) {
      return Status::InvalidArgument(origin_ + ":" + std::to_string(err.source().begin.line) +
                                     ": TOML syntax error: " + std::string(err.description()));
    }
    Config c;
    c.origin = origin_;
    lines_ = &c.key_lines;
    using N = const toml::node&;
    using K = const std::string&;
    const std::vector<std::pair<const char*, KeyHandler>> sections = {
        {"store",
         [&](N n, K) {
           return Section(n, "store", {{"path", [&](N v, K k) { return Path(v, k, &c.store.path); }}});
         }},
        {"directory",
         [&](N n, K) {
           DirectoryConfig& d = c.directory;
           CS_RETURN_IF_ERROR(Section(
               n, "directory",
               {{"url",
                 [&](N v, K k) -> Status {
                   CS_RETURN_IF_ERROR(String(v, k, &d.url));
                   if (d.url.rfind("ldif:", 0) == 0) {
                     d.url = "ldif:" + ResolvePath(base_dir_, d.url.substr(5));
                   } else if (d.url.rfind("ldap://", 0) != 0 && d.url.rfind("ldaps://", 0) != 0) {
                     return Where(v.source(), k,
                                  "must start with ldaps://, ldap:// or ldif:, got \"" + d.url + "\"");
                   }
                   return Status::Ok();
                 }},
                {"flavor", [&](N v, K k) { return Choice(v, k, {"ad", "openldap"}, &d.flavor); }},
                {"base", [&](N v, K k) { return String(v, k, &d.base); }},
                {"bind_dn", [&](N v, K k) { return String(v, k, &d.bind_dn); }},
                {"bind_password_file", [&](N v, K k) { return Path(v, k, &d.bind_password_file); }},
                {"ca_file", [&](N v, K k) { return Path(v, k, &d.ca_file); }},
                {"allow_plaintext", [&](N v, K k) { return Bool(v, k, &d.allow_plaintext); }},
                {"page_size", [&](N v, K k) { return Int32(v, k, 1, 100000, &d.page_size); }},
                {"timeout_seconds",
                 [&](N v, K k) { return Int32(v, k, 1, 3600, &d.timeout_seconds); }}}));
           if (!d.url.empty() && d.url.rfind("ldif:", 0) != 0 && d.base.empty()) {
             return Where(n.source(), "[directory] base",
                          "required for an LDAP url (the search base DN, e.g. DC=example,DC=org)");
           }
           return Status::Ok();
         }},
        {"hashes",
         [&](N n, K) {
           return Section(
               n, "hashes",
               {{"file", [&](N v, K k) { return Path(v, k, &c.hashes.file); }},
                {"format", [&](N v, K k) {
                   return Choice(v, k, {"auto", "secretsdump", "pwdump", "smbpasswd", "hashcat"},
                                 &c.hashes.format);
                 }},
                {"source",
                 [&](N v, K k) { return Choice(v, k, {"file", "replication"}, &c.hashes.source); }},
                {"min_coverage",
                 [&](N v, K k) -> Status {
                   // 0.95 or 1 (an integer 0 or 1 is accepted too); a fraction, not a percent.
                   if (!v.is_floating_point() && !v.is_integer()) return WrongType(v, k, "a number from 0 to 1");
                   double x = v.is_integer() ? static_cast<double>(v.as_integer()->get())
                                             : v.as_floating_point()->get();
                   if (!(x >= 0 && x <= 1)) {
                     return Where(v.source(), k, "must be a fraction from 0 to 1 (e.g. 0.95), got " +
                                                     std::to_string(x));
                   }
                   c.hashes.min_coverage = x;
                   return Status::Ok();
                 }},
                {"dc", [&](N v, K k) { return String(v, k, &c.hashes.dc); }},
                {"username", [&](N v, K k) { return String(v, k, &c.hashes.username); }},
                {"password_file", [&](N v, K k) { return Path(v, k, &c.hashes.password_file); }},
                {"kerberos", [&](N v, K k) { return Bool(v, k, &c.hashes.kerberos); }},
                {"krb5_config", [&](N v, K k) { return Path(v, k, &c.hashes.krb5_config); }},
                {"dc_hostname", [&](N v, K k) { return String(v, k, &c.hashes.dc_hostname); }}});
         }},
        {"classify",
         [&](N n, K) {
           ClassifyConfig& cl = c.classify;
           return Section(
               n, "classify",
               {{"privileged_groups", [&](N v, K k) { return StringList(v, k, &cl.privileged_groups); }},
                {"it_staff_group", [&](N v, K k) { return String(v, k, &cl.it_staff_group); }},
                {"external_ous", [&](N v, K k) { return StringList(v, k, &cl.external_ous); }},
                {"external_attribute",
                 [&](N v, K k) -> Status {
                   if (!v.is_table()) return WrongType(v, k, "a table such as { employeeType = \"consultant\" }");
                   cl.external_attribute.clear();
                   for (auto&& [ak, av] : *v.as_table()) {
                     std::string val;
                     CS_RETURN_IF_ERROR(String(av, k + "." + std::string(ak.str()), &val));
                     cl.external_attribute[std::string(ak.str())] = val;
                   }
                   return Status::Ok();
                 }},
                {"service_ous", [&](N v, K k) { return StringList(v, k, &cl.service_ous); }},
                {"service_name_patterns",
                 [&](N v, K k) { return StringList(v, k, &cl.service_name_patterns); }},
                {"admin_name_patterns",
                 [&](N v, K k) { return StringList(v, k, &cl.admin_name_patterns); }},
                {"protected_accounts", [&](N v, K k) { return StringList(v, k, &cl.protected_accounts); }},
                {"owner_map", [&](N v, K k) { return Path(v, k, &cl.owner_map); }}});
         }},
        {"rules",
         [&](N n, K) {
           RulesConfig& r = c.rules;
           return Section(
               n, "rules",
               {{"leaked_min_count",
                 [&](N v, K k) -> Status {
                   int64_t x = 0;
                   CS_RETURN_IF_ERROR(Int(v, k, 1, std::numeric_limits<int64_t>::max(), &x));
                   r.leaked_min_count = static_cast<uint64_t>(x);
                   return Status::Ok();
                 }},
                {"external_max_days", [&](N v, K k) { return Int32(v, k, 1, 36500, &r.external_max_days); }},
                {"stale_days", [&](N v, K k) { return Int32(v, k, 1, 36500, &r.stale_days); }},
                {"check_history", [&](N v, K k) { return Bool(v, k, &r.check_history); }},
                {"disabled", [&](N v, K k) { return StringList(v, k, &r.disabled); }},
                {"krbtgt_max_days", [&](N v, K k) { return Int32(v, k, 1, 36500, &r.krbtgt_max_days); }},
                {"admin_password_max_days",
                 [&](N v, K k) { return Int32(v, k, 1, 36500, &r.admin_password_max_days); }}});
         }},
        {"guess",
         [&](N n, K) {
           GuessConfig& g = c.guess;
           return Section(n, "guess",
                          {{"words", [&](N v, K k) { return StringList(v, k, &g.words); }},
                           {"words_file", [&](N v, K k) { return Path(v, k, &g.words_file); }},
                           {"rules_file", [&](N v, K k) { return Path(v, k, &g.rules_file); }},
                           {"threads", [&](N v, K k) { return Int32(v, k, 0, 256, &g.threads); }}});
         }},
        {"auth",
         [&](N n, K) {
           AuthConfig& a = c.auth;
           return Section(
               n, "auth",
               {{"mfa_groups", [&](N v, K k) { return StringList(v, k, &a.mfa_groups); }},
                {"smartcard_counts_as_pki", [&](N v, K k) { return Bool(v, k, &a.smartcard_counts_as_pki); }},
                {"required_level", [&](N v, K k) -> Status {
                   if (!v.is_table()) return WrongType(v, k, "a table such as { \"Domain Admins\" = 3 }");
                   a.required_level.clear();
                   for (auto&& [gk, gv] : *v.as_table()) {
                     int level = 0;
                     CS_RETURN_IF_ERROR(Int32(gv, k + "." + std::string(gk.str()), 1, 4, &level));
                     a.required_level[std::string(gk.str())] = level;
                   }
                   return Status::Ok();
                 }}});
         }},
        {"remediation",
         [&](N n, K) {
           RemediationConfig& r = c.remediation;
           return Section(
               n, "remediation",
               {{"force_rules", [&](N v, K k) { return StringList(v, k, &r.force_rules); }},
                {"max_forced_changes", [&](N v, K k) -> Status {
                   int64_t x = 0;
                   CS_RETURN_IF_ERROR(Int(v, k, 0, std::numeric_limits<int64_t>::max(), &x));
                   r.max_forced_changes = static_cast<uint64_t>(x);
                   return Status::Ok();
                 }}});
         }},
        {"notify",
         [&](N n, K) {
           NotifyConfig& no = c.notify;
           return Section(
               n, "notify",
               {{"language", [&](N v, K k) { return Choice(v, k, {"en", "da"}, &no.language); }},
                {"from", [&](N v, K k) { return String(v, k, &no.from); }},
                {"fallback_to", [&](N v, K k) { return String(v, k, &no.fallback_to); }},
                {"users", [&](N v, K k) { return Bool(v, k, &no.users); }},
                {"template_dir", [&](N v, K k) { return Path(v, k, &no.template_dir); }}});
         }},
        {"smtp",
         [&](N n, K) {
           SmtpConfig& s = c.smtp;
           return Section(
               n, "smtp",
               {{"url",
                 [&](N v, K k) -> Status {
                   CS_RETURN_IF_ERROR(String(v, k, &s.url));
                   if (UrlHasUserInfo(s.url)) {
                     // Never echo it: the part before '@' may be a password.
                     return Where(v.source(), k,
                                  "holds a user name or password (user:password@host), which "
                                  "would end up in logs and reports; put the user in [smtp] "
                                  "username and the password in [smtp] password_file");
                   }
                   if (s.url.rfind("smtp://", 0) != 0 && s.url.rfind("smtps://", 0) != 0) {
                     return Where(v.source(), k, "must start with smtp:// or smtps://, got \"" + s.url + "\"");
                   }
                   return Status::Ok();
                 }},
                {"username", [&](N v, K k) { return String(v, k, &s.username); }},
                {"password_file", [&](N v, K k) { return Path(v, k, &s.password_file); }},
                {"ca_file", [&](N v, K k) { return Path(v, k, &s.ca_file); }},
                {"allow_plaintext", [&](N v, K k) { return Bool(v, k, &s.allow_plaintext); }},
                {"timeout_seconds", [&](N v, K k) { return Int32(v, k, 1, 3600, &s.timeout_seconds); }}});
         }},
        {"log",
         [&](N n, K) {
           return Section(n, "log",
                          {{"path", [&](N v, K k) { return Path(v, k, &c.log.path); }},
                           {"signing_key", [&](N v, K k) { return Path(v, k, &c.log.signing_key); }}});
         }},
        {"run",
         [&](N n, K) {
           return Section(n, "run",
                          {{"apply", [&](N v, K k) { return Bool(v, k, &c.run.apply); }},
                           {"state_dir", [&](N v, K k) { return Path(v, k, &c.run.state_dir); }},
                           {"out_dir", [&](N v, K k) { return Path(v, k, &c.run.out_dir); }}});
         }},
        {"exceptions",
         [&](N n, K k) -> Status {
           if (!n.is_array() || !n.as_array()->is_array_of_tables()) {
             return WrongType(n, "exceptions", "an array of tables ([[exceptions]])");
           }
           for (const toml::node& e : *n.as_array()) {
             ExceptionEntry entry;
             CS_RETURN_IF_ERROR(Exception(e, &entry));
             c.exceptions.push_back(std::move(entry));
           }
           return Status::Ok();
         }},
    };
    for (auto&& [k, v] : root) {
      const std::string name(k.str());
      const KeyHandler* h = nullptr;
      for (const auto& [sn, sf] : sections) {
        if (name == sn) h = &sf;
      }
      if (h == nullptr) {
        std::string known;
        for (const auto& [sn, sf] : sections) known += std::string(known.empty() ? "" : ", ") + sn;
        const toml::source_region& src = k.source().begin.line ? k.source() : v.source();
        return Where(src, v.is_table() ? "[" + name + "]" : name,
                     "unknown section (known sections: " + known + ")");
      }
      CS_RETURN_IF_ERROR((*h)(v, name));
    }
    // Defaults that depend on where the file is: the state directory sits beside the config.
    if (c.run.state_dir.empty()) c.run.state_dir = ResolvePath(base_dir_, "credsweep-state");
    return c;
  }

 private:
  std::string origin_;
  std::string base_dir_;
  mutable std::map<std::string, int>* lines_ = nullptr;
};

}  // namespace

Result<Config> ParseConfig(const std::string& text, const std::string& origin,
                           const std::string& base_dir) {
  return Parser(origin, base_dir).Parse(text);
}

bool UrlHasUserInfo(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  return authority.find('@') != std::string_view::npos;
}

Result<Config> LoadConfig(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    // A missing config is a usage error (exit 2), not a runtime failure.
    return Status::InvalidArgument("cannot read config file " + path + ": " +
                                   text.status().message());
  }
  return ParseConfig(*text, path, DirName(path));
}

}  // namespace credsweep
