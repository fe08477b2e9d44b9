#include "engine/audit/owners.h"

namespace credsweep {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  std::string t = s.substr(b, e - b + 1);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return t;
}

// The mail of the account at `dn`, or "" when it is not in the snapshot or has none.
std::string MailOf(const DirectoryIndex& index, const std::string& dn) {
  if (dn.empty()) return "";
  const Account* a = index.AccountByDn(dn);
  return a ? a->mail : "";
}

}  // namespace

Result<OwnerMap> ParseOwnerMap(const std::string& text, const std::string& origin) {
  OwnerMap map;
  size_t pos = 0;
  int line_no = 0;
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) pos = 3;  // Excel writes a BOM
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    size_t comma = line.find(',');
    const std::string where = origin + ":" + std::to_string(line_no) + ": ";
    if (comma == std::string::npos) {
      return Status::InvalidArgument(where + "expected 'account,email'");
    }
    std::string account = Trim(line.substr(0, comma));
    std::string mail = Trim(line.substr(comma + 1));
    if (ToLower(mail) == "email" || ToLower(mail) == "mail") continue;  // header row
    if (account.empty() || mail.find('@') == std::string::npos) {
      return Status::InvalidArgument(where + "expected 'account,email' with an email address");
    }
    map[ToLower(account)] = mail;
  }
  return map;
}

Owner ResolveOwner(const DirectoryIndex& index, const DirectorySnapshot& snapshot,
                   size_t account_index, const OwnerMap& owner_map) {
  const Account& a = snapshot.accounts[account_index];
  if (std::string m = MailOf(index, a.managed_by_dn); !m.empty()) return {m, "managedBy"};
  for (const Group* g : index.GroupObjects(account_index)) {
    if (std::string m = MailOf(index, g->managed_by_dn); !m.empty()) return {m, "managedBy"};
  }
  // A computer object above the account in the tree (CN=svc,CN=WS01,OU=...).
  std::string dn = a.dn;
  for (size_t comma = dn.find(','); comma != std::string::npos; comma = dn.find(',')) {
    dn = dn.substr(comma + 1);
    const Account* parent = index.AccountByDn(dn);
    if (parent && parent->is_computer) {
      if (std::string m = MailOf(index, parent->managed_by_dn); !m.empty()) {
        return {m, "managedBy"};
      }
    }
  }
  if (std::string m = MailOf(index, a.manager_dn); !m.empty()) return {m, "manager"};
  if (auto it = owner_map.find(ToLower(a.name)); it != owner_map.end()) {
    return {it->second, "owner_map"};
  }
  return {};
}

}  // namespace credsweep
