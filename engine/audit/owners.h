// Owner resolution: who is told about a service or system account (DESIGN.md step 5).
//
// Order (first hit wins; owner_source says which):
//   1. managedBy on the account itself                          -> "managedBy"
//   2. managedBy on a group the account is in (nested, nearest first), or on a computer object
//      the account sits under                                   -> "managedBy"
//   3. manager on the account                                   -> "manager"
//   4. [classify] owner_map CSV (account,email)                 -> "owner_map"
// A managedBy/manager DN resolves to the mail attribute of that account in the snapshot; a DN
// that is not in the snapshot or has no mail is passed over. Samba rejects managedBy on user
// objects, which is why groups, computers and the owner map matter (DESIGN.md notes).
// When nothing is found both fields stay empty and `notify` falls back to [notify] fallback_to.
#pragma once

#include <map>
#include <string>

#include "engine/audit/classifier.h"
#include "engine/base/status.h"

namespace credsweep {

// account name (lower-case) -> email.
using OwnerMap = std::map<std::string, std::string>;

// Parses the owner map CSV: "account,email" per line; blank lines, '#' comments and a header
// row whose second field is "email" are skipped; fields may be "quoted". A line without two
// fields or with an email lacking '@' is kInvalidArgument "ORIGIN:LINE: ...".
[[nodiscard]] Result<OwnerMap> ParseOwnerMap(const std::string& text, const std::string& origin);

struct Owner {
  std::string mail;
  std::string source;  // "managedBy" | "manager" | "owner_map" | ""
};

Owner ResolveOwner(const DirectoryIndex& index, const DirectorySnapshot& snapshot,
                   size_t account_index, const OwnerMap& owner_map);

}  // namespace credsweep
