#include "engine/remediate/action_log.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/base/file_lock.h"
#include "engine/base/file_util.h"
#include "engine/base/hex.h"
#include "engine/base/secure_memory.h"
#include "engine/base/time_util.h"

namespace credsweep {
namespace {

using nlohmann::json;

constexpr int kLogVersion = 1;
constexpr char kHashDomain[] = "credsweep-action-log-v1\n";
constexpr char kGenesisDomain[] = "credsweep-action-log-v1 genesis\n";
constexpr char kKeyMagic[] = "credsweep-log-key";
constexpr char kKeyVersion[] = "v1";
constexpr char kSecretTag[] = "ed25519-secret";
constexpr char kPublicTag[] = "ed25519-public";

// Exactly `len` bytes from lowercase or uppercase hex; false on anything else.
bool FromHex(std::string_view hex, uint8_t* out, size_t len) {
  return HexDecodeExact(hex, out, len);
}

// The one serialisation used for hashing and for writing lines (see the header).
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::array<uint8_t, 32> EntryHash(const std::array<uint8_t, 32>& prev, const std::string& canonical) {
  std::array<uint8_t, 32> out{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, out.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kHashDomain),
                            sizeof(kHashDomain) - 1);
  crypto_generichash_update(&st, prev.data(), prev.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(canonical.data()),
                            canonical.size());
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

// Whitespace-separated tokens as views into `s` (no copies: `s` may be a secret key file).
std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// A parsed, self-consistent entry: hash recomputed from content and signature checked.
struct CheckedEntry {
  uint64_t seq = 0;
  std::string prev;
  std::string hash;
  std::string action, target, account, time;
};

// The family of a write-ahead entry: "force-change" for "force-change-intent" and its outcomes.
constexpr char kIntentSuffix[] = "-intent";
bool IsIntent(const std::string& action) {
  const size_t n = sizeof(kIntentSuffix) - 1;
  return action.size() > n && action.compare(action.size() - n, n, kIntentSuffix) == 0;
}

// Checks one line on its own: JSON, fields, version, hash over content, signature. Returns a
// problem description ("" when fine). `seq_out` is set as soon as the seq is readable.
std::string CheckLine(const std::string& line, const std::array<uint8_t, 32>* pk,
                      CheckedEntry* out, std::optional<uint64_t>* seq_out) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception&) {
    return "not a complete JSON entry (truncated or edited)";
  }
  if (!j.is_object()) return "not a JSON object";
  // The bytes must be the canonical form, or they are not what was hashed and signed: a
  // duplicated key (nlohmann keeps the last), reordered keys or extra spaces all show here.
  if (Dump(j) != line) {
    return "the line is not in canonical form (a duplicated or reordered key, added spaces or "
           "changed escapes): its bytes are not the entry that was signed";
  }
  auto seq_it = j.find("seq");
  if (seq_it != j.end() && seq_it->is_number_unsigned()) *seq_out = seq_it->get<uint64_t>();
  auto v_it = j.find("v");
  if (v_it == j.end() || !v_it->is_number_integer()) return "missing field 'v'";
  if (v_it->get<int64_t>() != kLogVersion) {
    return "unsupported entry version " + std::to_string(v_it->get<int64_t>());
  }
  for (const char* key : {"time", "run", "action", "target", "account", "rule", "detail", "prev",
                          "hash", "sig"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::string("missing or non-string field '") + key + "'";
  }
  if (seq_it == j.end() || !seq_it->is_number_unsigned() || seq_out->value_or(0) == 0) {
    return "missing or bad field 'seq'";
  }
  auto actor = j.find("actor");
  if (actor == j.end() || !actor->is_object()) return "missing field 'actor'";

  out->seq = **seq_out;
  out->prev = j["prev"].get<std::string>();
  out->hash = j["hash"].get<std::string>();
  out->action = j["action"].get<std::string>();
  out->target = j["target"].get<std::string>();
  out->account = j["account"].get<std::string>();
  out->time = j["time"].get<std::string>();
  const std::string sig_hex = j["sig"].get<std::string>();
  std::array<uint8_t, 32> prev{};
  std::array<uint8_t, 32> hash{};
  std::array<uint8_t, 64> sig{};
  if (!FromHex(out->prev, prev.data(), prev.size())) return "field 'prev' is not 64 hex digits";
  if (!FromHex(out->hash, hash.data(), hash.size())) return "field 'hash' is not 64 hex digits";
  if (!FromHex(sig_hex, sig.data(), sig.size())) return "field 'sig' is not 128 hex digits";

  json body = j;
  body.erase("hash");
  body.erase("sig");
  const std::array<uint8_t, 32> want = EntryHash(prev, Dump(body));
  if (sodium_memcmp(want.data(), hash.data(), hash.size()) != 0) {
    return "hash does not match the entry's content (the entry was modified)";
  }
  if (pk != nullptr &&
      crypto_sign_verify_detached(sig.data(), hash.data(), hash.size(), pk->data()) != 0) {
    return "signature does not verify with this public key (forged entry or wrong key)";
  }
  return "";
}

// Reads the last line of the file open on `fd` (without its "\n"); nullopt for an empty file;
// kCorruption when the file does not end in "\n" (a torn write or a cut file).
Result<std::optional<std::string>> ReadLastLine(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno("cannot stat " + path, errno);
  const off_t size = st.st_size;
  if (size == 0) return std::optional<std::string>();
  std::string tail;
  off_t pos = size;
  constexpr off_t kChunk = 4096;
  // Read backwards until the "\n" that ends the previous line (or the start of the file).
  while (pos > 0) {
    const off_t n = std::min(kChunk, pos);
    pos -= n;
    std::string chunk(static_cast<size_t>(n), '\0');
    ssize_t got = ::pread(fd, chunk.data(), chunk.size(), pos);
    if (got != static_cast<ssize_t>(n)) return Status::FromErrno("cannot read " + path, errno);
    tail.insert(0, chunk);
    if (tail.back() != '\n') {
      return Status::Corruption(path + ": the last entry is truncated (no final newline)");
    }
    size_t nl = tail.rfind('\n', tail.size() - 2);
    if (tail.size() >= 2 && nl != std::string::npos) {
      return std::optional<std::string>(tail.substr(nl + 1, tail.size() - nl - 2));
    }
  }
  return std::optional<std::string>(tail.substr(0, tail.size() - 1));
}

std::array<uint8_t, 32> GenesisRaw(const std::array<uint8_t, 32>& pk) {
  std::array<uint8_t, 32> out{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, out.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kGenesisDomain),
                            sizeof(kGenesisDomain) - 1);
  crypto_generichash_update(&st, pk.data(), pk.size());
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

}  // namespace

// ---- keys -------------------------------------------------------------------------------------

LogSigningKey::LogSigningKey() = default;

LogSigningKey::~LogSigningKey() {
  if (sk_ != nullptr) sodium_free(sk_);
}

Result<std::unique_ptr<LogSigningKey>> LogSigningKey::Generate() {
  CS_RETURN_IF_ERROR(InitSodium());
  std::unique_ptr<LogSigningKey> key(new LogSigningKey());
  key->sk_ = static_cast<uint8_t*>(sodium_malloc(crypto_sign_SECRETKEYBYTES));
  if (key->sk_ == nullptr) return Status::Internal("cannot allocate secure memory for a key");
  crypto_sign_keypair(key->pk_.data(), key->sk_);
  return key;
}

Result<std::unique_ptr<LogSigningKey>> LogSigningKey::Load(const std::string& path) {
  // Straight from the file into secure memory (owner and mode checked first); the tokens are
  // views into that buffer, so no copy of the key text exists anywhere else.
  CS_ASSIGN_OR_RETURN(const SecretBuffer text, ReadSecret(path, "signing key"));
  const std::vector<std::string_view> tok = SplitSpaces(text.view());
  const std::string bad = path + " is not a credsweep signing key (expected the secret key file "
                                 "written by `credsweep log keygen`)";
  if (tok.size() != 4 || tok[0] != kKeyMagic || tok[1] != kKeyVersion || tok[2] != kSecretTag) {
    return Status::InvalidArgument(bad);
  }
  std::unique_ptr<LogSigningKey> key(new LogSigningKey());
  key->sk_ = static_cast<uint8_t*>(sodium_malloc(crypto_sign_SECRETKEYBYTES));
  if (key->sk_ == nullptr) return Status::Internal("cannot allocate secure memory for a key");
  if (!FromHex(tok[3], key->sk_, crypto_sign_SECRETKEYBYTES)) return Status::InvalidArgument(bad);
  // libsodium's secret key is seed || public key: re-derive to catch a damaged file.
  std::array<uint8_t, 32> pk{};
  uint8_t* check = static_cast<uint8_t*>(sodium_malloc(crypto_sign_SECRETKEYBYTES));
  if (check == nullptr) return Status::Internal("cannot allocate secure memory for a key");
  crypto_sign_seed_keypair(pk.data(), check, key->sk_);
  const bool same = sodium_memcmp(check, key->sk_, crypto_sign_SECRETKEYBYTES) == 0;
  sodium_free(check);
  if (!same) return Status::InvalidArgument(path + " is damaged: its public half does not match");
  key->pk_ = pk;
  return key;
}

std::string LogSigningKey::SecretKeyFileText() const {
  return std::string(kKeyMagic) + " " + kKeyVersion + " " + kSecretTag + " " +
         HexEncode(sk_, crypto_sign_SECRETKEYBYTES) + "\n";
}

std::string LogSigningKey::PublicKeyHex() const { return HexEncode(pk_.data(), pk_.size()); }

std::string LogSigningKey::PublicKeyFileText() const {
  return std::string(kKeyMagic) + " " + kKeyVersion + " " + kPublicTag + " " + PublicKeyHex() +
         "\n";
}

std::array<uint8_t, 64> LogSigningKey::Sign(const uint8_t* msg, size_t len) const {
  std::array<uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, msg, len, sk_);
  return sig;
}

Result<std::array<uint8_t, 32>> LoadLogPublicKey(const std::string& path) {
  CS_RETURN_IF_ERROR(InitSodium());
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::string_view> tok = SplitSpaces(text);
  std::string_view hex;
  if (tok.size() == 4 && tok[0] == kKeyMagic && tok[1] == kKeyVersion && tok[2] == kPublicTag) {
    hex = tok[3];
  } else if (tok.size() == 1) {
    hex = tok[0];
  }
  std::array<uint8_t, 32> pk{};
  if (!FromHex(hex, pk.data(), pk.size())) {
    return Status::InvalidArgument(path + " is not a credsweep public key (expected the .pub file "
                                          "written by `credsweep log keygen`)");
  }
  return pk;
}

Result<std::string> GenerateLogKeyFiles(const std::string& keyfile) {
  const std::string pubfile = keyfile + ".pub";
  for (const std::string& p : {keyfile, pubfile}) {
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0) {
      return Status::FailedPrecondition(p + " already exists; refusing to overwrite a key");
    }
  }
  CS_ASSIGN_OR_RETURN(std::unique_ptr<LogSigningKey> key, LogSigningKey::Generate());
  std::string secret = key->SecretKeyFileText();
  Status s = CreateFileExclusive(keyfile, secret, 0600);
  sodium_memzero(secret.data(), secret.size());
  CS_RETURN_IF_ERROR(s);
  Status p = CreateFileExclusive(pubfile, key->PublicKeyFileText(), 0644);
  if (!p.ok()) {
    ::unlink(keyfile.c_str());  // a secret without its public half would be useless
    return p;
  }
  return key->PublicKeyHex();
}

LogActor MakeLogActor(const std::string& id) {
  char host[HOST_NAME_MAX + 1] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::strcpy(host, "unknown");
  return LogActor{id, host};
}

std::string LogGenesisHash(const std::array<uint8_t, 32>& pk) {
  const auto g = GenesisRaw(pk);
  return HexEncode(g.data(), g.size());
}

// ---- appending --------------------------------------------------------------------------------

ActionLog::ActionLog(std::string path, int fd, std::shared_ptr<const LogSigningKey> key,
                     LogActor actor)
    : path_(std::move(path)), fd_(fd), key_(std::move(key)), actor_(std::move(actor)) {}

ActionLog::~ActionLog() { ::close(fd_); }

Result<std::unique_ptr<ActionLog>> ActionLog::Open(const std::string& path,
                                                   std::shared_ptr<const LogSigningKey> key,
                                                   LogActor actor) {
  CS_RETURN_IF_ERROR(InitSodium());
  if (key == nullptr) return Status::InvalidArgument("action log " + path + ": no signing key");
  CS_RETURN_IF_ERROR(MakeDirs(DirName(path)));
  Result<int> opened = OpenNoFollow(path, O_RDWR | O_APPEND, 0600);
  if (!opened.ok()) return opened.status().WithContext("action log");
  const int fd = *opened;
  struct stat st;
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) ::fchmod(fd, 0600);
  return std::unique_ptr<ActionLog>(new ActionLog(path, fd, std::move(key), std::move(actor)));
}

Result<ActionLog::Tail> ActionLog::ReadTailLocked() {
  Tail t;
  t.hash = LogGenesisHash(key_->public_key());
  Result<std::optional<std::string>> read = ReadLastLine(fd_, path_);
  if (!read.ok()) {
    if (read.status().code() != StatusCode::kCorruption) return read.status();
    return Status::Corruption("action log " + read.status().message() +
                              "; refusing to append. Run `credsweep log verify` and investigate");
  }
  const std::optional<std::string>& last = read.value();
  if (!last) return t;
  CheckedEntry tail;
  std::optional<uint64_t> tail_seq;
  std::string problem = CheckLine(*last, &key_->public_key(), &tail, &tail_seq);
  if (!problem.empty()) {
    return Status::Corruption("action log " + path_ + ": the last entry" +
                              (tail_seq ? " (seq " + std::to_string(*tail_seq) + ")" : "") +
                              " does not verify: " + problem +
                              "; refusing to append. Run `credsweep log verify`.");
  }
  if (tail.seq == 1 && tail.prev != t.hash) {
    return Status::Corruption("action log " + path_ +
                              ": the first entry was not written with this signing key; "
                              "refusing to append. Start a new log for a new key.");
  }
  t.seq = tail.seq;
  t.hash = tail.hash;
  return t;
}

Status ActionLog::CheckTail() {
  CS_ASSIGN_OR_RETURN(FileLock lock, FileLock::LockDescriptor(fd_, path_, LockWait::kYes));
  return ReadTailLocked().status();
}

Result<AppendedEntry> ActionLog::Append(const ActionRecord& record,
                                        std::optional<int64_t> now_unix) {
  CS_ASSIGN_OR_RETURN(FileLock lock, FileLock::LockDescriptor(fd_, path_, LockWait::kYes));

  // Continue the chain from the tail, which must verify against our own key.
  CS_ASSIGN_OR_RETURN(Tail tail, ReadTailLocked());
  const uint64_t seq = tail.seq + 1;
  const std::string prev_hex = tail.hash;

  json j{{"v", kLogVersion},
         {"seq", seq},
         {"time", FormatUtcIso(now_unix.value_or(NowUnix()))},
         {"actor", {{"id", actor_.id}, {"host", actor_.host}}},
         {"run", record.run_id},
         {"action", record.action},
         {"target", record.target},
         {"account", record.account},
         {"rule", record.rule},
         {"detail", record.detail},
         {"prev", prev_hex}};
  std::array<uint8_t, 32> prev{};
  if (!FromHex(prev_hex, prev.data(), prev.size())) return Status::Internal("bad prev hash");
  const std::array<uint8_t, 32> hash = EntryHash(prev, Dump(j));
  const std::array<uint8_t, 64> sig = key_->Sign(hash.data(), hash.size());
  j["hash"] = HexEncode(hash.data(), hash.size());
  j["sig"] = HexEncode(sig.data(), sig.size());
  const std::string line = Dump(j) + "\n";

  CS_RETURN_IF_ERROR(WriteAll(fd_, line.data(), line.size(), path_));
  if (::fdatasync(fd_) != 0) return Status::FromErrno("cannot flush action log " + path_, errno);
  return AppendedEntry{seq, j["hash"].get<std::string>()};
}

// ---- verifying --------------------------------------------------------------------------------

Result<VerifyReport> VerifyActionLog(const std::string& path, const std::array<uint8_t, 32>& pk,
                                     const VerifyOptions& options) {
  CS_RETURN_IF_ERROR(InitSodium());
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("action log " + path + " does not exist");
    return Status::FromErrno("cannot open action log " + path, errno);
  }
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return VerifyActionLogText(text, pk, options);
}

VerifyReport VerifyActionLogText(const std::string& text, const std::array<uint8_t, 32>& pk,
                                 const VerifyOptions& options) {
  if (Status s = InitSodium(); !s.ok()) {
    VerifyReport bad;
    bad.problem = s.message();
    return bad;
  }
  VerifyReport r;
  r.head_hash = LogGenesisHash(pk);
  uint64_t expected_seq = 1;
  std::map<std::string, UnfinishedAction> open_intents;  // family \n target \n account
  bool saw_expected_head = options.expect_head && *options.expect_head == r.head_hash;
  size_t start = 0;
  uint64_t line_no = 0;
  auto fail = [&](const std::string& problem, std::optional<uint64_t> seq) {
    r.ok = false;
    r.bad_line = line_no;
    r.bad_seq = seq;
    r.problem = problem;
    return r;
  };
  while (start < text.size()) {
    ++line_no;
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      std::optional<uint64_t> seq;
      CheckedEntry e;
      CheckLine(text.substr(start), nullptr, &e, &seq);
      return fail("truncated tail: the last line has no final newline (partial write or the file "
                  "was cut)",
                  seq);
    }
    const std::string line = text.substr(start, nl - start);
    start = nl + 1;
    CheckedEntry e;
    std::optional<uint64_t> seq;
    if (line.empty()) return fail("empty line", std::nullopt);
    std::string problem = CheckLine(line, &pk, &e, &seq);
    if (!problem.empty()) return fail(problem, seq);
    if (e.seq != expected_seq) {
      return fail("seq " + std::to_string(e.seq) + " where " + std::to_string(expected_seq) +
                      " was expected (an entry was deleted, inserted or reordered)",
                  e.seq);
    }
    if (e.prev != r.head_hash) {
      return fail(expected_seq == 1
                      ? "prev is not the genesis hash of this public key (wrong key, or the "
                        "first entries were replaced)"
                      : "prev does not match the hash of the entry before it (an entry was "
                        "deleted, inserted or reordered)",
                  e.seq);
    }
    r.head_hash = e.hash;
    r.entries_verified = e.seq;
    // Write-ahead pairs: an intent opens (family, target, account); a later entry of that
    // family, or a skip, for the same target and account answers it.
    const std::string key = e.target + '\n' + e.account;
    if (IsIntent(e.action)) {
      const std::string family = e.action.substr(0, e.action.size() - (sizeof(kIntentSuffix) - 1));
      open_intents[family + '\n' + key] = UnfinishedAction{e.seq, e.action, e.target, e.account, e.time};
    } else {
      for (auto it = open_intents.begin(); it != open_intents.end();) {
        const std::string& k = it->first;
        const std::string family = k.substr(0, k.find('\n'));
        const bool answers = k.compare(family.size() + 1, std::string::npos, key) == 0 &&
                             (e.action == "skip" || e.action.rfind(family, 0) == 0);
        it = answers ? open_intents.erase(it) : std::next(it);
      }
    }
    ++expected_seq;
    if (options.expect_head && *options.expect_head == e.hash) saw_expected_head = true;
  }
  line_no = 0;
  for (auto& [k, u] : open_intents) r.unfinished.push_back(std::move(u));
  std::sort(r.unfinished.begin(), r.unfinished.end(),
            [](const UnfinishedAction& a, const UnfinishedAction& b) { return a.seq < b.seq; });
  if (options.min_count && r.entries_verified < *options.min_count) {
    return fail("the log holds " + std::to_string(r.entries_verified) + " entries but at least " +
                    std::to_string(*options.min_count) +
                    " were expected (entries were deleted from the end)",
                std::nullopt);
  }
  if (options.expect_head && !saw_expected_head) {
    return fail("no entry has the expected head hash " + *options.expect_head +
                    "; the log ends at seq " + std::to_string(r.entries_verified) +
                    " (entries were deleted from the end, or the hash belongs to another log)",
                std::nullopt);
  }
  r.ok = true;
  return r;
}

Result<LogHead> ReadLogHead(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return LogHead{};
    return Status::FromErrno("cannot open action log " + path, errno);
  }
  Result<std::optional<std::string>> last = ReadLastLine(fd, path);
  ::close(fd);
  if (!last.ok()) return last.status();
  if (!last.value()) return LogHead{};
  CheckedEntry e;
  std::optional<uint64_t> seq;
  std::string problem = CheckLine(**last, nullptr, &e, &seq);
  if (!problem.empty()) {
    return Status::Corruption("action log " + path + ": the last entry is bad: " + problem);
  }
  return LogHead{e.hash, e.seq};
}

}  // namespace credsweep
