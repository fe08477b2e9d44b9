#include "engine/remediate/notify.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "engine/base/file_util.h"
#include "engine/remediate/enforce.h"
#include "engine/remediate/mime.h"

namespace credsweep {
namespace {

namespace fs = std::filesystem;

// Records deliveries; can be told to fail as if the server were down or refused.
class FakeMailer : public Mailer {
 public:
  struct Sent {
    std::string from, to, data;
  };
  std::vector<Sent>* sent;
  Status fail_with;
  explicit FakeMailer(std::vector<Sent>* s, Status f = Status::Ok()) : sent(s), fail_with(f) {}
  Status Send(const std::string& from, const std::string& to, const std::string& data) override {
    if (!fail_with.ok()) return fail_with;
    sent->push_back({from, to, data});
    return Status::Ok();
  }
  std::string Identity() const override { return "credsweep@example.org"; }
};

AccountSummary Acct(const std::string& name, AccountClass c, const std::string& owner = "",
                    const std::string& mail = "") {
  AccountSummary a;
  a.account = name;
  a.dn = "CN=" + name + ",OU=Accounts,DC=example,DC=org";
  a.account_class = c;
  a.classes = {AccountClassName(c)};
  a.owner_mail = owner;
  a.owner_source = owner.empty() ? "" : "manager";
  a.mail = mail;
  a.display_name = name == "jdoe" ? "Jane Doe" : "";
  return a;
}

// 2026-11-18T11:06:40Z: the injected clock (ComposeNotifications, NotifyOptions::clock).
constexpr int64_t kNow = 1795000000;

class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cs_notify_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "findings");
    config_.directory.flavor = "ad";
    config_.notify.from = "credsweep@example.org";
    config_.run.state_dir = (dir_ / "state").string();
    config_.log.signing_key = (dir_ / "log.key").string();
    ASSERT_TRUE(GenerateLogKeyFiles(config_.log.signing_key).ok());
    doc_.run.id = "2026-11-22T132000Z";
    doc_.run.started_at = "2026-11-22T13:20:00Z";
    doc_.run.flavor = "ad";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Add(const AccountSummary& a, const std::string& rule = "leaked-password") {
    doc_.accounts.push_back(a);
    Finding f;
    f.rule = rule;
    f.account = a.account;
    f.dn = a.dn;
    f.account_class = a.account_class;
    f.enabled = a.enabled;
    doc_.findings.push_back(f);
  }
  std::string Findings() const { return (dir_ / "findings").string(); }
  std::string Outbox() const { return (dir_ / "findings" / "outbox").string(); }
  NotifyOptions SendWith(Status fail = Status::Ok()) {
    NotifyOptions o;
    o.send = true;
    o.mailer = [this, fail]() -> Result<std::unique_ptr<Mailer>> {
      return std::unique_ptr<Mailer>(new FakeMailer(&sent_, fail));
    };
    return o;
  }
  std::vector<std::string> Files(const std::string& d, const std::string& ext) {
    std::vector<std::string> out;
    if (!fs::exists(d)) return out;
    for (const auto& e : fs::directory_iterator(d)) {
      if (e.path().extension() == ext) out.push_back(e.path().filename().string());
    }
    return out;
  }

  fs::path dir_;
  Config config_;
  FindingsDocument doc_;
  std::vector<FakeMailer::Sent> sent_;
};

TEST_F(NotifyTest, OneDigestPerOwnerNamingTheirAccounts) {
  Add(Acct("svc-backup", AccountClass::kService, "alice@example.org"));
  Add(Acct("svc-web", AccountClass::kService, "alice@example.org"), "empty-password");
  Add(Acct("svc-print", AccountClass::kService, "bob@example.org"));
  Add(Acct("jdoe", AccountClass::kRegular, "", "jane@example.org"));  // forced, not a digest
  Add(Acct("svc-ok", AccountClass::kService, "carol@example.org"), "lm-hash-stored");
  auto c = ComposeNotifications(config_, doc_, kNow);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->messages.size(), 2u);
  const NotifyMessage& alice = c->messages[0];
  EXPECT_EQ(alice.to, "alice@example.org");
  EXPECT_EQ(alice.kind, "owner-digest");
  EXPECT_NE(alice.body.find("svc-backup"), std::string::npos);
  EXPECT_NE(alice.body.find("svc-web"), std::string::npos);
  EXPECT_NE(alice.body.find("leaked-password"), std::string::npos);
  EXPECT_NE(alice.body.find("the password is empty"), std::string::npos);
  EXPECT_NE(alice.subject.find("2 account(s)"), std::string::npos) << alice.subject;
  EXPECT_NE(alice.subject.find("2026-11"), std::string::npos);
  EXPECT_EQ(alice.body.find("svc-print"), std::string::npos);
  EXPECT_EQ(c->messages[1].to, "bob@example.org");
  EXPECT_TRUE(c->unaddressed.empty());
}

TEST_F(NotifyTest, FallbackOwnerAndUnaddressedAccounts) {
  Add(Acct("svc-orphan", AccountClass::kService));
  auto c = ComposeNotifications(config_, doc_, kNow);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->messages.empty());
  ASSERT_EQ(c->unaddressed.size(), 1u);
  EXPECT_EQ(c->unaddressed[0].account, "svc-orphan");
  config_.notify.fallback_to = "it-security@example.org";
  c = ComposeNotifications(config_, doc_, kNow);
  ASSERT_EQ(c->messages.size(), 1u);
  EXPECT_EQ(c->messages[0].to, "it-security@example.org");
  // A header-injection attempt in an owner address is refused, not sent.
  doc_.accounts[0].owner_mail = "evil@example.org\r\nBcc: all@example.org";
  c = ComposeNotifications(config_, doc_, kNow);
  EXPECT_TRUE(c->messages.empty());
  EXPECT_EQ(c->unaddressed.size(), 1u);
}

TEST_F(NotifyTest, DanishTemplatesAndUserNotices) {
  config_.notify.language = "da";
  config_.notify.users = true;
  Add(Acct("svc-backup", AccountClass::kService, "alice@example.org"));
  Add(Acct("jdoe", AccountClass::kRegular, "", "jane@example.org"));
  Add(Acct("nomail", AccountClass::kRegular));
  auto c = ComposeNotifications(config_, doc_, kNow);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->messages.size(), 2u);
  EXPECT_NE(c->messages[0].subject.find("Handling påkrævet"), std::string::npos);
  EXPECT_NE(c->messages[0].body.find("lækkede adgangskoder"), std::string::npos);
  EXPECT_NE(c->messages[0].body.find("Gør dette"), std::string::npos);
  const NotifyMessage& user = c->messages[1];
  EXPECT_EQ(user.kind, "user");
  EXPECT_EQ(user.to, "jane@example.org");
  EXPECT_EQ(user.subject, "Din adgangskode skal skiftes (2026-11)");
  EXPECT_NE(user.body.find("Hej Jane Doe"), std::string::npos);
  EXPECT_NE(user.body.find("findes på en liste over lækkede adgangskoder"), std::string::npos);

  config_.notify.language = "en";
  c = ComposeNotifications(config_, doc_, kNow);
  EXPECT_EQ(c->messages[1].subject, "Your password must be changed (2026-11)");
  EXPECT_NE(c->messages[1].body.find("is on a list of leaked passwords"), std::string::npos);
}

TEST_F(NotifyTest, OverrideTemplatesAndUnknownPlaceholders) {
  fs::create_directories(dir_ / "tmpl");
  config_.notify.template_dir = (dir_ / "tmpl").string();
  std::ofstream(dir_ / "tmpl" / "owner_digest.en.txt")
      << "Subject: [IT] {{count}} for {{owner}}\n\nDear owner,\n{{accounts}}-- {{month}}\n";
  Add(Acct("svc-backup", AccountClass::kService, "alice@example.org"));
  auto c = ComposeNotifications(config_, doc_, kNow);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->messages[0].subject, "[IT] 1 for alice@example.org");
  EXPECT_EQ(c->messages[0].body.rfind("Dear owner,\n  - svc-backup\n", 0), 0u) << c->messages[0].body;

  std::ofstream(dir_ / "tmpl" / "owner_digest.en.txt", std::ios::trunc)
      << "Subject: x\n\nline one\nHello {{ownr}}\n";
  c = ComposeNotifications(config_, doc_, kNow);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("owner_digest.en.txt:2: unknown placeholder {{ownr}}"),
            std::string::npos)
      << c.status().message();
}

TEST_F(NotifyTest, TheInjectedClockDatesTheMessageTheEmlAndTheLedger) {
  fs::create_directories(dir_ / "tmpl");
  config_.notify.template_dir = (dir_ / "tmpl").string();
  std::ofstream(dir_ / "tmpl" / "owner_digest.en.txt") << "Subject: x\n\nchecked {{date}}\n";
  Add(Acct("svc-backup", AccountClass::kService, "alice@example.org"));
  NotifyOptions o = SendWith();
  o.clock = [] { return kNow; };
  auto r = RunNotify(config_, doc_, Findings(), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_NE(sent_[0].data.find("checked 2026-11-18"), std::string::npos) << sent_[0].data;
  EXPECT_NE(sent_[0].data.find("Date: Wed, 18 Nov 2026 11:06:40 +0000"), std::string::npos);
  std::ifstream ledger(dir_ / "state" / "notify-sent.jsonl");
  std::string line;
  std::getline(ledger, line);
  EXPECT_NE(line.find("\"sent_at\":\"2026-11-18T11:06:40Z\""), std::string::npos) << line;
}

TEST_F(NotifyTest, EmlIsRfc5322WithEncodedSubjectAndQuotedPrintable) {
  config_.notify.language = "da";
  Add(Acct("svc-backup", AccountClass::kService, "alice@example.org"));
  auto c = ComposeNotifications(config_, doc_, kNow);
  ASSERT_TRUE(c.ok());
  const std::string eml = RenderEml(c->messages[0], config_.notify.from, 1795000000);
  const size_t split = eml.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  const std::string headers = eml.substr(0, split + 2);
  EXPECT_NE(headers.find("Date: Wed, 18 Nov 2026 11:06:40 +0000\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("From: credsweep@example.org\r\n"), std::string::npos);
  EXPECT_NE(headers.find("To: alice@example.org\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(headers.find("Message-ID: <" + c->messages[0].id + "@example.org>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
  // Every line is 7-bit, CRLF-terminated and at most 78 characters (RFC 5322 2.1.1).
  size_t start = 0;
  while (start < eml.size()) {
    size_t nl = eml.find("\r\n", start);
    ASSERT_NE(nl, std::string::npos) << "bare line ending at " << start;
    EXPECT_LE(nl - start, 78u) << eml.substr(start, nl - start);
    for (size_t i = start; i < nl; ++i) {
      ASSERT_LT(static_cast<unsigned char>(eml[i]), 0x80u);
      ASSERT_NE(eml[i], '\n');
    }
    start = nl + 2;
  }
  // The body round-trips.
  EXPECT_EQ(DecodeQuotedPrintable(eml.substr(split + 4)),
            [&] {
              std::string b = c->messages[0].body;
              return b;
            }());
}

TEST_F(NotifyTest, MimeHelpers) {
  EXPECT_EQ(EncodeHeaderText("plain subject"), "plain subject");
  EXPECT_EQ(EncodeHeaderText("Æblegrød"), "=?UTF-8?B?w4ZibGVncsO4ZA==?=");
  // Long non-ASCII text folds into several words, none over 75 characters, none splitting
  // a character (each word decodes on its own).
  std::string longtext;
  for (int i = 0; i < 40; ++i) longtext += "å";
  const std::string enc = EncodeHeaderText(longtext);
  EXPECT_NE(enc.find("\r\n "), std::string::npos);
  std::regex word("=\\?UTF-8\\?B\\?([A-Za-z0-9+/=]+)\\?=");
  int words = 0;
  for (auto it = std::sregex_iterator(enc.begin(), enc.end(), word); it != std::sregex_iterator();
       ++it) {
    EXPECT_LE(it->str().size(), 75u);
    EXPECT_EQ(it->str(1).size() % 4, 0u);
    ++words;
  }
  EXPECT_EQ(words, 2);
  EXPECT_EQ(EncodeQuotedPrintable("a=b \nø"), "a=3Db=20\r\n=C3=B8");
  EXPECT_EQ(DecodeQuotedPrintable(EncodeQuotedPrintable(std::string(200, 'x') + "\nend ")),
            std::string(200, 'x') + "\nend ");
}

TEST_F(NotifyTest, DryRunWritesOutboxOnceAndNothingElse) {
  Add(Acct("svc-backup", AccountClass::kService, "alice@example.org"));
  auto r = RunNotify(config_, doc_, Findings(), NotifyOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->written, 1u);
  EXPECT_EQ(r->messages[0].accounts, std::vector<std::string>{"svc-backup"});
  EXPECT_EQ(Files(Outbox(), ".eml").size(), 1u);
  struct stat st;
  ASSERT_EQ(::stat((Outbox() + "/" + r->messages[0].id + ".eml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(ConfiguredActionLogPath(config_)));
  auto again = RunNotify(config_, doc_, Findings(), NotifyOptions{});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->written, 0u);
  EXPECT_EQ(again->pending, 1u);
  EXPECT_EQ(Files(Outbox(), ".eml").size(), 1u);
}

TEST_F(NotifyTest, SendDeliversOnceAndLogsIt) {
  Add(Acct("svc-backup", AccountClass::kService, "alice@example.org"));
  auto r = RunNotify(config_, doc_, Findings(), SendWith());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sent, 1u);
  EXPECT_FALSE(r->any_failed());
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].to, "alice@example.org");
  EXPECT_NE(sent_[0].data.find("svc-backup"), std::string::npos);
  EXPECT_TRUE(Files(Outbox(), ".eml").empty());
  EXPECT_EQ(Files(Outbox() + "/sent", ".eml").size(), 1u);

  auto again = RunNotify(config_, doc_, Findings(), SendWith());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->already_sent, 1u);
  EXPECT_EQ(sent_.size(), 1u);  // never twice

  // A second copy of the findings directory cannot resend it either: the ledger remembers.
  fs::create_directories(dir_ / "copy");
  auto copy = RunNotify(config_, doc_, (dir_ / "copy").string(), SendWith());
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->already_sent, 1u);
  EXPECT_EQ(sent_.size(), 1u);

  auto pk = LoadLogPublicKey(config_.log.signing_key + ".pub");
  auto v = VerifyActionLog(ConfiguredActionLogPath(config_), pk.value());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->entries_verified, 2u);  // notify-intent, then notify-sent
  EXPECT_TRUE(v->unfinished.empty());
  auto log_text = ReadFile(ConfiguredActionLogPath(config_));
  EXPECT_NE(log_text->find("\"action\":\"notify-sent\""), std::string::npos);
  EXPECT_NE(log_text->find("\"account\":\"svc-backup\""), std::string::npos);
}

TEST_F(NotifyTest, FailedSendStaysPendingAndIsRetriedOnce) {
  Add(Acct("svc-a", AccountClass::kService, "alice@example.org"));
  Add(Acct("svc-b", AccountClass::kService, "bob@example.org"));
  auto down = RunNotify(config_, doc_, Findings(),
                        SendWith(Status::Unavailable("connection refused")));
  ASSERT_TRUE(down.ok());
  EXPECT_TRUE(down->any_failed());
  EXPECT_EQ(down->failed, 1u);
  EXPECT_EQ(down->pending, 1u);  // not tried after the server was found down
  EXPECT_EQ(Files(Outbox(), ".eml").size(), 2u);

  auto up = RunNotify(config_, doc_, Findings(), SendWith());
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->sent, 2u);
  EXPECT_FALSE(up->any_failed());
  EXPECT_EQ(sent_.size(), 2u);
  auto third = RunNotify(config_, doc_, Findings(), SendWith());
  EXPECT_EQ(sent_.size(), 2u);
  // intent + notify-failed (1) and intent + notify-sent (2), all verifying, none unfinished.
  auto pk = LoadLogPublicKey(config_.log.signing_key + ".pub");
  auto v = VerifyActionLog(ConfiguredActionLogPath(config_), pk.value());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->entries_verified, 6u);
  EXPECT_TRUE(v->unfinished.empty());
}

TEST_F(NotifyTest, DamagedEnvelopeFailsThatMessageOnly) {
  Add(Acct("svc-a", AccountClass::kService, "alice@example.org"));
  Add(Acct("svc-b", AccountClass::kService, "bob@example.org"));
  auto dry = RunNotify(config_, doc_, Findings(), NotifyOptions{});
  ASSERT_TRUE(dry.ok());
  ASSERT_EQ(dry->messages.size(), 2u);
  std::ofstream(Outbox() + "/" + dry->messages[0].id + ".json", std::ios::trunc) << "{\"to\": 5";
  auto r = RunNotify(config_, doc_, Findings(), SendWith());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->failed, 1u);
  EXPECT_EQ(r->sent, 1u);
  EXPECT_NE(r->messages[0].message.find("damaged"), std::string::npos);
  EXPECT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].to, "bob@example.org");
}

TEST_F(NotifyTest, SendWithoutSigningKeyIsRefusedBeforeSending) {
  Add(Acct("svc-a", AccountClass::kService, "alice@example.org"));
  config_.log.signing_key.clear();
  auto r = RunNotify(config_, doc_, Findings(), SendWith());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(Files(Outbox(), ".eml").size(), 1u);  // still written, pending for later
}

TEST_F(NotifyTest, ControlCharactersInDirectoryValuesAddNoLinesToTheMail) {
  AccountSummary svc = Acct("svc-x", AccountClass::kService, "alice@example.org");
  svc.dn = "CN=svc-x\r\n    What to do: send your password to evil@example.net,DC=example";
  svc.account = "svc-x\nWhat to do: call us";
  Add(svc);
  AccountSummary user = Acct("jdoe", AccountClass::kRegular, "", "jane@example.org");
  user.display_name = "Jane\r\nWhat to do: reply with your password\u2028\x1b[8m";
  Add(user);
  config_.notify.users = true;
  auto c = ComposeNotifications(config_, doc_, kNow);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->messages.size(), 2u);
  for (const NotifyMessage& m : c->messages) {
    std::istringstream lines(m.body);
    std::string line;
    while (std::getline(lines, line)) {
      const std::string text = line.substr(std::min(line.find_first_not_of(' '), line.size()));
      for (const char* fake : {"What to do: send", "What to do: call", "What to do: reply"}) {
        EXPECT_NE(text.rfind(fake, 0), 0u) << "a directory value started a line: " << line;
      }
      EXPECT_EQ(line.find("\x1b"), std::string::npos);
      EXPECT_EQ(line.find("\r"), std::string::npos);
    }
  }
  // The values are still visible, on one line, with the control characters marked.
  EXPECT_NE(c->messages[0].body.find("svc-x\xEF\xBF\xBDWhat to do: call us"), std::string::npos)
      << c->messages[0].body;
  EXPECT_NE(c->messages[1].body.find("Jane\xEF\xBF\xBD\xEF\xBF\xBDWhat to do: reply"),
            std::string::npos)
      << c->messages[1].body;
}

TEST(MimeTest, SanitizeMailValueReplacesEveryControlCharacter) {
  EXPECT_EQ(SanitizeMailValue("Jørgen Ærø"), "Jørgen Ærø");
  EXPECT_EQ(SanitizeMailValue("a\tb"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(SanitizeMailValue(std::string("a\0b", 3)), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(SanitizeMailValue("a\x7f" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(SanitizeMailValue("a\xC2\x85" "b"), "a\xEF\xBF\xBD" "b");  // NEL (C1)
  EXPECT_EQ(SanitizeMailValue("a\u2028" "b\u2029"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeMailValue("a\xC3"), "a\xEF\xBF\xBD");          // truncated sequence
  EXPECT_EQ(SanitizeMailValue("a\xC3\n"), "a\xEF\xBF\xBD\xEF\xBF\xBD");  // never eats LF
}

TEST_F(NotifyTest, SmtpClientRefusesMissingSettings) {
  SmtpConfig s;
  EXPECT_EQ(SmtpClient::Create(s, "a@example.org").status().code(), StatusCode::kInvalidArgument);
  s.url = "http://mail.example.org";
  EXPECT_EQ(SmtpClient::Create(s, "a@example.org").status().code(), StatusCode::kInvalidArgument);
  s.url = "smtp://127.0.0.1:1";
  s.username = "credsweep";
  ::unsetenv("CREDSWEEP_SMTP_PASSWORD");
  auto r = SmtpClient::Create(s, "a@example.org");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("CREDSWEEP_SMTP_PASSWORD"), std::string::npos);
  EXPECT_FALSE(IsPlausibleMailAddress("a@b\r\nRCPT TO:<x@y>"));
  // Credentials in the URL would reach logs and reports: refused, without echoing them.
  s.url = "smtp://credsweep:Hunter2-Pw@127.0.0.1:587";
  ::setenv("CREDSWEEP_SMTP_PASSWORD", "x", 1);
  auto in_url = SmtpClient::Create(s, "a@example.org");
  ::unsetenv("CREDSWEEP_SMTP_PASSWORD");
  EXPECT_EQ(in_url.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(in_url.status().message().find("Hunter2"), std::string::npos);
  EXPECT_TRUE(UrlHasUserInfo("smtps://u:p@h:465/"));
  EXPECT_TRUE(UrlHasUserInfo("smtp://u@h"));
  EXPECT_FALSE(UrlHasUserInfo("smtp://h:587/x@y"));
  EXPECT_FALSE(UrlHasUserInfo("smtp://mail.example.org:587"));
  EXPECT_TRUE(IsPlausibleMailAddress("it-security@example.org"));
}

}  // namespace
}  // namespace credsweep
