#include "engine/remediate/outbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "engine/base/file_util.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

using nlohmann::json;

bool Exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

std::set<std::string> LoadLedger(const std::string& path) {
  std::set<std::string> ids;
  auto text = ReadFile(path);
  if (!text.ok()) return ids;
  size_t start = 0;
  while (start < text->size()) {
    size_t nl = text->find('\n', start);
    if (nl == std::string::npos) break;  // a torn last line was never confirmed as sent
    try {
      json j = json::parse(text->substr(start, nl - start));
      if (j.contains("id") && j["id"].is_string()) ids.insert(j["id"].get<std::string>());
    } catch (const json::exception&) {
    }
    start = nl + 1;
  }
  return ids;
}

Status AppendLine(const std::string& path, const std::string& line) {
  CS_RETURN_IF_ERROR(MakeDirs(DirName(path)));
  CS_ASSIGN_OR_RETURN(const int fd, OpenNoFollow(path, O_WRONLY | O_APPEND, 0600));
  const std::string data = line + "\n";
  Status s = WriteAll(fd, data.data(), data.size(), path);
  if (s.ok() && ::fdatasync(fd) != 0) s = Status::FromErrno("cannot flush " + path, errno);
  ::close(fd);
  return s;
}

json EnvelopeJson(const Envelope& e) {
  json accts = json::array();
  for (const auto& a : e.accounts) {
    accts.push_back({{"account", a.account}, {"dn", a.dn}, {"rules", a.rules}});
  }
  return json{{"id", e.id},     {"kind", e.kind},  {"to", e.to},
              {"from", e.from}, {"run", e.run_id}, {"accounts", accts}};
}

}  // namespace

std::string Envelope::AccountList() const {
  std::string out;
  for (const auto& a : accounts) out += (out.empty() ? "" : ",") + a.account;
  return out;
}

std::string Envelope::RuleList() const {
  std::set<std::string> rules;
  for (const auto& a : accounts) rules.insert(a.rules.begin(), a.rules.end());
  std::string out;
  for (const auto& r : rules) out += (out.empty() ? "" : ",") + r;
  return out;
}

Result<Outbox> Outbox::Open(std::string dir, std::string ledger_path) {
  CS_RETURN_IF_ERROR(MakeDirs(dir));
  Outbox box(std::move(dir), std::move(ledger_path));
  box.ledger_ = LoadLedger(box.ledger_path_);
  return box;
}

bool Outbox::IsSent(const std::string& id) const {
  return ledger_.count(id) > 0 || Exists(dir_ + "/sent/" + id + ".eml");
}

bool Outbox::IsPending(const std::string& id) const { return Exists(dir_ + "/" + id + ".eml"); }

Status Outbox::Write(const Envelope& envelope, const std::string& eml) {
  // The envelope first: an .eml is only pending once its metadata exists.
  CS_RETURN_IF_ERROR(
      WriteFileAtomic(dir_ + "/" + envelope.id + ".json", EnvelopeJson(envelope).dump(2) + "\n"));
  return WriteFileAtomic(dir_ + "/" + envelope.id + ".eml", eml);
}

Result<std::vector<std::string>> Outbox::PendingIds() const {
  std::vector<std::string> ids;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return ids;
    return Status::FromErrno("cannot list " + dir_, errno);
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".eml") == 0) {
      ids.push_back(name.substr(0, name.size() - 4));
    }
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<Envelope> Outbox::ReadEnvelope(const std::string& id) const {
  const std::string path = dir_ + "/" + id + ".json";
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  // The file is ours, but it sits on disk: anything malformed is a clear error, never a throw.
  try {
    json meta = json::parse(text);
    Envelope e;
    e.id = id;
    e.to = meta.at("to").get<std::string>();
    e.from = meta.at("from").get<std::string>();
    e.kind = meta.value("kind", "");
    e.run_id = meta.value("run", "");
    for (const auto& a : meta.value("accounts", json::array())) {
      EnvelopeAccount acct;
      acct.account = a.at("account").get<std::string>();
      acct.dn = a.value("dn", "");
      for (const auto& r : a.value("rules", json::array())) acct.rules.push_back(r.get<std::string>());
      e.accounts.push_back(std::move(acct));
    }
    return e;
  } catch (const json::exception&) {
    return Status::InvalidArgument(path + " is damaged");
  }
}

Result<std::string> Outbox::ReadEml(const std::string& id) const {
  return ReadFile(dir_ + "/" + id + ".eml");
}

Status Outbox::MarkSent(const Envelope& envelope, int64_t now_unix) {
  CS_RETURN_IF_ERROR(AppendLine(ledger_path_, json{{"id", envelope.id},
                                                   {"to", envelope.to},
                                                   {"kind", envelope.kind},
                                                   {"run", envelope.run_id},
                                                   {"sent_at", FormatUtcIso(now_unix)}}
                                                  .dump()));
  ledger_.insert(envelope.id);
  return MoveToSent(envelope.id);
}

Status Outbox::MoveToSent(const std::string& id) {
  const std::string sent = dir_ + "/sent";
  CS_RETURN_IF_ERROR(MakeDirs(sent));
  for (const char* ext : {".json", ".eml"}) {
    const std::string from = dir_ + "/" + id + ext;
    const std::string to = sent + "/" + id + ext;
    if (Exists(from) && ::rename(from.c_str(), to.c_str()) != 0) {
      return Status::FromErrno("cannot move " + from + " to " + sent, errno);
    }
  }
  CS_RETURN_IF_ERROR(SyncDir(sent));
  return SyncDir(dir_);
}

}  // namespace credsweep
