#include "engine/audit/classifier.h"

#include <hs/hs.h>

#include <algorithm>
#include <span>
#include <cctype>
#include <cstdint>

#include "engine/base/ascii.h"

namespace credsweep {
namespace {

// The built-in AD administrative groups (MS-ADTS 6.1.1.6 "Well-Known Users and Groups"),
// used when [classify] privileged_groups is empty.
const std::vector<std::string>& DefaultPrivilegedGroups() {
  static const std::vector<std::string> kGroups = {
      "Domain Admins",     "Enterprise Admins", "Administrators",  "Schema Admins",
      "Account Operators", "Backup Operators",  "Server Operators"};
  return kGroups;
}

// Hyperscan has no literal mode in hs_compile_multi: escape every non-alphanumeric byte as
// \xHH so names and OUs with '.', '(' or '\' match literally.
std::string EscapeLiteral(const std::string& s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// First RDN value of a DN: "CN=Domain Admins,CN=Users,DC=x" -> "domain admins" (normalised).
std::string FirstRdnValue(const std::string& normalized_dn) {
  size_t eq = normalized_dn.find('=');
  size_t comma = normalized_dn.find(',');
  if (eq == std::string::npos || (comma != std::string::npos && comma < eq)) return normalized_dn;
  return normalized_dn.substr(eq + 1, comma == std::string::npos ? std::string::npos : comma - eq - 1);
}

struct ScanState {
  size_t name_len;
  std::vector<unsigned> name_hits;  // pattern ids that matched within the name
  std::vector<unsigned> dn_hits;    // pattern ids that matched within the DN
};

int OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
            unsigned int /*flags*/, void* ctx) {
  auto* st = static_cast<ScanState*>(ctx);
  // The subject is "<name>\n<dn>": a match ending at or before the newline is in the name.
  if (to <= st->name_len) {
    st->name_hits.push_back(id);
  } else if (to > st->name_len + 1) {
    st->dn_hits.push_back(id);
  }
  return 0;  // keep scanning
}

}  // namespace

std::string ToLower(std::string s) {
  for (char& c : s) c = AsciiLower(c);
  return s;
}

std::string NormalizeDn(const std::string& dn) {
  std::string out;
  out.reserve(dn.size());
  for (size_t i = 0; i < dn.size(); ++i) {
    char c = dn[i];
    if (c == ' ') {
      // Drop blanks next to a separator; keep blanks inside values ("Domain Admins").
      char prev = out.empty() ? ',' : out.back();
      size_t j = i;
      while (j < dn.size() && dn[j] == ' ') ++j;
      char next = j < dn.size() ? dn[j] : ',';
      if (prev == ',' || prev == '=' || next == ',' || next == '=') {
        i = j - 1;
        continue;
      }
    }
    out += AsciiLower(c);
  }
  return out;
}

size_t DnHash::operator()(std::string_view dn) const {
  if (dn.find(' ') == std::string_view::npos) return CaseFoldHash()(dn);
  return CaseFoldHash()(NormalizeDn(std::string(dn)));
}

bool DnEqual::operator()(std::string_view a, std::string_view b) const {
  if (CaseFoldEqual()(a, b)) return true;  // the usual case: spelled alike
  if (a.find(' ') == std::string_view::npos && b.find(' ') == std::string_view::npos) {
    return false;
  }
  return NormalizeDn(std::string(a)) == NormalizeDn(std::string(b));
}

int DirectoryIndex::NodeFor(const std::string& normalized_dn) {
  auto [it, inserted] = node_by_dn_.emplace(normalized_dn, static_cast<int>(nodes_.size()));
  if (inserted) {
    nodes_.emplace_back();
    nodes_by_name_[FirstRdnValue(normalized_dn)].push_back(it->second);
  }
  return it->second;
}

DirectoryIndex::DirectoryIndex(const DirectorySnapshot& snapshot) : snapshot_(snapshot) {
  const size_t n = snapshot.accounts.size();
  account_by_dn_.reserve(n);
  for (size_t i = 0; i < n; ++i) account_by_dn_.emplace(snapshot.accounts[i].dn, i);
  for (const Group& g : snapshot.groups) {
    int id = NodeFor(NormalizeDn(g.dn));
    if (nodes_[id].group == nullptr) {
      nodes_[id].group = &g;
      const std::string name = ToLower(g.name);
      if (name != FirstRdnValue(NormalizeDn(g.dn))) nodes_by_name_[name].push_back(id);
    }
  }
  // Parent links: a group listing another group (or an account) as member. Only a member that
  // is not an account is normalised (to name its group node). Not needed when the snapshot's
  // Account::groups are closed already (DirectorySnapshot::groups_closed): then they hold
  // every group these links would lead to (issue 11: 100 000 member DNs joined twice).
  std::vector<std::vector<int>> account_parents(n);  // per account: groups listing it
  for (const Group& g : snapshot.groups_closed ? std::span<const Group>()
                                               : std::span<const Group>(snapshot.groups)) {
    const int gid = node_by_dn_.at(NormalizeDn(g.dn));
    for (const std::string& m : g.member_dns) {
      if (auto it = account_by_dn_.find(std::string_view(m)); it != account_by_dn_.end()) {
        account_parents[it->second].push_back(gid);
      } else {
        int child = NodeFor(NormalizeDn(m));
        nodes_[child].parents.push_back(gid);
      }
    }
  }
  // Account::groups may name groups that are not in the snapshot: give them nodes too. The
  // same few group DNs recur in every account's list, so each is normalised once.
  std::unordered_map<std::string_view, int> node_by_raw_dn;
  std::vector<std::vector<int>> direct(n);
  for (size_t i = 0; i < n; ++i) {
    for (const std::string& g : snapshot.accounts[i].groups) {
      auto [it, inserted] = node_by_raw_dn.emplace(g, 0);
      if (inserted) it->second = NodeFor(NormalizeDn(g));
      direct[i].push_back(it->second);
    }
    direct[i].insert(direct[i].end(), account_parents[i].begin(), account_parents[i].end());
  }
  // Each group's closure (itself and every ancestor), breadth-first: direct parents come
  // before grandparents, and the visited set ends cycles (A in B, B in A).
  std::vector<std::vector<int>> closure(nodes_.size());
  std::vector<int> mark(nodes_.size(), -1);
  for (size_t n = 0; n < nodes_.size(); ++n) {
    std::vector<int>& c = closure[n];
    c.push_back(static_cast<int>(n));
    mark[n] = static_cast<int>(n);
    for (size_t k = 0; k < c.size(); ++k) {
      for (int p : nodes_[c[k]].parents) {
        if (mark[p] != static_cast<int>(n)) {
          mark[p] = static_cast<int>(n);
          c.push_back(p);
        }
      }
    }
  }
  memberships_.resize(snapshot.accounts.size());
  group_objects_.resize(snapshot.accounts.size());
  std::vector<size_t> seen(nodes_.size(), SIZE_MAX);
  for (size_t i = 0; i < snapshot.accounts.size(); ++i) {
    std::vector<int>& m = memberships_[i];
    // Direct groups first (nearest owner first), then each one's ancestors.
    for (int d : direct[i]) {
      if (seen[d] != i) {
        seen[d] = i;
        m.push_back(d);
      }
    }
    for (size_t k = 0, end = m.size(); k < end; ++k) {
      for (int p : closure[m[k]]) {
        if (seen[p] != i) {
          seen[p] = i;
          m.push_back(p);
        }
      }
    }
    for (int id : m) {
      if (nodes_[id].group) group_objects_[i].push_back(nodes_[id].group);
    }
    std::sort(m.begin(), m.end());
  }
}

bool DirectoryIndex::InGroup(size_t account_index, const std::string& name_or_dn) const {
  const std::vector<int>& m = memberships_[account_index];
  if (name_or_dn.find('=') != std::string::npos) {
    auto it = node_by_dn_.find(NormalizeDn(name_or_dn));
    return it != node_by_dn_.end() && std::binary_search(m.begin(), m.end(), it->second);
  }
  auto it = nodes_by_name_.find(std::string_view(name_or_dn));
  if (it == nodes_by_name_.end()) return false;
  for (int id : it->second) {
    if (std::binary_search(m.begin(), m.end(), id)) return true;
  }
  return false;
}

std::string DirectoryIndex::FirstGroup(size_t account_index,
                                       const std::vector<std::string>& groups) const {
  for (const std::string& g : groups) {
    if (InGroup(account_index, g)) return g;
  }
  return "";
}

const Account* DirectoryIndex::AccountByDn(const std::string& dn) const {
  auto it = account_by_dn_.find(std::string_view(dn));
  return it == account_by_dn_.end() ? nullptr : &snapshot_.accounts[it->second];
}

Result<std::unique_ptr<Classifier>> Classifier::Create(const Config& cfg) {
  std::unique_ptr<Classifier> c(new Classifier());
  c->cfg_ = &cfg;
  const ClassifyConfig& cl = cfg.classify;
  c->privileged_groups_ = cl.privileged_groups.empty() ? DefaultPrivilegedGroups()
                                                       : cl.privileged_groups;

  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  std::vector<std::string> keys;  // config key per pattern, for errors
  auto add = [&](Kind kind, const std::string& source, std::string expr, unsigned f,
                 const std::string& key) {
    c->patterns_.push_back({kind, source});
    expressions.push_back(std::move(expr));
    flags.push_back(f | HS_FLAG_CASELESS | HS_FLAG_MULTILINE);
    keys.push_back(key);
  };
  for (const std::string& p : cl.service_name_patterns) {
    add(Kind::kServiceName, p, p, HS_FLAG_SINGLEMATCH, "[classify] service_name_patterns");
  }
  for (const std::string& p : cl.admin_name_patterns) {
    add(Kind::kAdminName, p, p, HS_FLAG_SINGLEMATCH, "[classify] admin_name_patterns");
  }
  std::vector<std::string> protected_names = {"krbtgt", "Administrator"};
  protected_names.insert(protected_names.end(), cl.protected_accounts.begin(),
                         cl.protected_accounts.end());
  for (const std::string& n : protected_names) {
    add(Kind::kProtectedName, n, "^" + EscapeLiteral(n) + "$", HS_FLAG_SINGLEMATCH,
        "[classify] protected_accounts");
  }
  // DN suffix patterns: no SINGLEMATCH, because only matches in the DN line count and an
  // earlier (discarded) hit must not suppress them.
  for (const std::string& ou : cl.external_ous) {
    add(Kind::kExternalOu, ou, "(^|,)" + EscapeLiteral(NormalizeDn(ou)) + "$", 0,
        "[classify] external_ous");
  }
  for (const std::string& ou : cl.service_ous) {
    add(Kind::kServiceOu, ou, "(^|,)" + EscapeLiteral(NormalizeDn(ou)) + "$", 0,
        "[classify] service_ous");
  }

  auto where = [&](const std::string& key) {
    int line = cfg.LineOf(key);
    return cfg.origin + (line ? ":" + std::to_string(line) : std::string()) + ": " + key;
  };
  std::vector<const char*> exprs;
  std::vector<unsigned> ids;
  for (size_t i = 0; i < expressions.size(); ++i) {
    exprs.push_back(expressions[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &c->db_,
                       &err) != HS_SUCCESS) {
    std::string msg = err && err->message ? err->message : "unknown error";
    std::string at = "[classify]";
    std::string pattern;
    if (err && err->expression >= 0 && static_cast<size_t>(err->expression) < keys.size()) {
      at = keys[err->expression];
      pattern = " '" + c->patterns_[err->expression].source + "'";
    }
    hs_free_compile_error(err);
    return Status::InvalidArgument(where(at) + ": pattern" + pattern +
                                   " cannot be compiled: " + msg);
  }
  if (hs_alloc_scratch(c->db_, &c->scratch_) != HS_SUCCESS) {
    return Status::Internal("cannot allocate Hyperscan scratch space for [classify] patterns");
  }
  // std::regex only for the capture group of admin_name_patterns (see the header).
  c->admin_regex_.resize(c->patterns_.size());
  for (size_t i = 0; i < c->patterns_.size(); ++i) {
    if (c->patterns_[i].kind != Kind::kAdminName) continue;
    try {
      c->admin_regex_[i] = std::make_unique<std::regex>(
          c->patterns_[i].source, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument(where("[classify] admin_name_patterns") + ": pattern '" +
                                     c->patterns_[i].source +
                                     "' is not a valid regular expression: " + e.what());
    }
  }
  return c;
}

Classifier::~Classifier() {
  if (scratch_) hs_free_scratch(scratch_);
  if (db_) hs_free_database(db_);
}

Classification Classifier::Classify(const DirectoryIndex& index, const Account& a,
                                    size_t account_index) const {
  Classification r;
  const std::string dn = NormalizeDn(a.dn);
  const std::string subject = a.name + "\n" + dn;
  ScanState st{a.name.size(), {}, {}};
  // A scan error here can only be a broken scratch/database, which Create() already checked;
  // the account then simply matches no pattern.
  (void)hs_scan(db_, subject.data(), static_cast<unsigned>(subject.size()), 0, scratch_,
                OnMatch, &st);
  std::sort(st.name_hits.begin(), st.name_hits.end());  // config order decides ties

  bool service_ou = false, service_name = false, external_ou = false;
  for (unsigned id : st.name_hits) {
    const Pattern& p = patterns_[id];
    if (p.kind == Kind::kServiceName) service_name = true;
    if (p.kind == Kind::kProtectedName) r.is_protected = true;
    if (p.kind == Kind::kAdminName && !r.admin_pattern_matched) {
      r.admin_pattern_matched = true;
      std::smatch m;
      if (std::regex_search(a.name, m, *admin_regex_[id]) && m.size() > 1) {
        r.admin_link = m[1].str();
      }
    }
  }
  for (unsigned id : st.dn_hits) {
    const Pattern& p = patterns_[id];
    if (p.kind == Kind::kExternalOu) external_ou = true;
    if (p.kind == Kind::kServiceOu) service_ou = true;
  }

  // RID 500 is the built-in Administrator and 502 krbtgt, whatever they were renamed to.
  if (a.rid && (*a.rid == 500 || *a.rid == 502)) r.is_protected = true;
  r.is_computer = a.is_computer ||
                  (a.uac & (kUacWorkstationTrustAccount | kUacServerTrustAccount)) != 0 ||
                  (!a.name.empty() && a.name.back() == '$');
  if (service_ou) {
    r.service_via = "service OU";
  } else if (service_name) {
    r.service_via = "service name pattern";
  } else if (!a.spns.empty() && !r.is_computer) {
    r.service_via = "servicePrincipalName";
  }
  r.is_service = !r.service_via.empty();
  r.privileged_via = index.FirstGroup(account_index, privileged_groups_);
  r.is_privileged = !r.privileged_via.empty();
  if (external_ou) {
    r.external_via = "external OU";
  } else {
    for (const auto& [attr, want] : cfg_->classify.external_attribute) {
      const std::string key = ToLower(attr);
      std::vector<std::string> values;
      if (auto it = a.attributes.find(key); it != a.attributes.end()) values = it->second;
      if (key == "employeetype" && !a.employee_type.empty()) values.push_back(a.employee_type);
      for (const std::string& v : values) {
        if (ToLower(v) == ToLower(want)) r.external_via = attr + "=" + want;
      }
      if (!r.external_via.empty()) break;
    }
  }
  r.is_external = !r.external_via.empty();

  // Labels in precedence order; the first is the primary class.
  const std::pair<bool, AccountClass> order[] = {
      {r.is_protected, AccountClass::kProtected}, {r.is_computer, AccountClass::kComputer},
      {r.is_service, AccountClass::kService},     {r.is_privileged, AccountClass::kPrivileged},
      {r.is_external, AccountClass::kExternal}};
  for (const auto& [applies, cls] : order) {
    if (applies) r.labels.push_back(AccountClassName(cls));
  }
  if (r.labels.empty()) r.labels.push_back(AccountClassName(AccountClass::kRegular));
  r.primary = ParseAccountClass(r.labels.front()).value();
  return r;
}

}  // namespace credsweep
