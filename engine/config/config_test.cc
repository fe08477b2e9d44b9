#include "engine/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/base/file_util.h"
#include "engine/base/test_temp_dir.h"

namespace credsweep {
namespace {

using ::testing::HasSubstr;

Result<Config> Parse(const std::string& text) { return ParseConfig(text, "/etc/cs/credsweep.toml", "/etc/cs"); }

TEST(ConfigTest, EmptyFileGivesDocumentedDefaults) {
  Result<Config> c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->directory.flavor, "ad");
  EXPECT_FALSE(c->directory.allow_plaintext);
  EXPECT_EQ(c->hashes.format, "auto");
  EXPECT_EQ(c->rules.leaked_min_count, 1u);
  EXPECT_EQ(c->rules.external_max_days, 180);
  EXPECT_EQ(c->rules.stale_days, 90);
  EXPECT_TRUE(c->rules.check_history);
  EXPECT_TRUE(c->auth.smartcard_counts_as_pki);
  EXPECT_EQ(c->remediation.force_rules,
            (std::vector<std::string>{"leaked-password", "empty-password", "guessable-password",
                                      "password-is-username"}));
  EXPECT_EQ(c->rules.krbtgt_max_days, 180);
  EXPECT_EQ(c->rules.admin_password_max_days, 365);
  EXPECT_TRUE(c->guess.words.empty());
  EXPECT_EQ(c->guess.rules_file, "");
  EXPECT_EQ(c->guess.threads, 0);
  EXPECT_FALSE(c->remediation.max_forced_changes.has_value());
  EXPECT_EQ(c->notify.language, "en");
  EXPECT_EQ(c->run.state_dir, "/etc/cs/credsweep-state");
  EXPECT_TRUE(c->exceptions.empty());
}

TEST(ConfigTest, ReadsEverySectionAndResolvesRelativePaths) {
  const char* text = R"(
[store]
path = "store"
[directory]
url = "ldif:accounts.ldif"
flavor = "openldap"
bind_password_file = "/run/secrets/bind"
ca_file = "ca.pem"
allow_plaintext = true
page_size = 100
timeout_seconds = 5
[hashes]
file = "dumps/ntds.txt"
format = "secretsdump"
[classify]
privileged_groups = ["Domain Admins", "CN=Tier0,OU=Groups,DC=x"]
it_staff_group = "IT Staff"
external_ous = ["OU=Consultants,DC=x"]
external_attribute = { employeeType = "consultant" }
service_ous = ["OU=Service,DC=x"]
service_name_patterns = ["^svc[-_]"]
admin_name_patterns = ["^adm-(.+)$"]
protected_accounts = ["breakglass"]
owner_map = "owners.csv"
[rules]
leaked_min_count = 10
external_max_days = 90
stale_days = 60
check_history = false
disabled = ["stale-account"]
[auth]
mfa_groups = ["MFA Users"]
smartcard_counts_as_pki = false
required_level = { "Domain Admins" = 4, "Staff" = 2 }
[remediation]
force_rules = ["leaked-password"]
max_forced_changes = 25
[notify]
language = "da"
from = "it@example.org"
fallback_to = "security@example.org"
users = true
template_dir = "templates"
[smtp]
url = "smtp://mail:587"
username = "credsweep"
password_file = "smtp.pw"
allow_plaintext = true
[log]
path = "/var/log/credsweep/actions.log"
signing_key = "keys/log.key"
[run]
apply = true
state_dir = "state"
out_dir = "out"

[[exceptions]]
account = "svc-legacy"
rule = "password-never-expires"
reason = "vendor appliance"
approved_by = "CISO"
expires = "2027-01-31"

[[exceptions]]
account = "adm-jdoe"
rule = "admin-no-expiry"
reason = "project"
approved_by = "IT manager"
expires = 2026-12-31
)";
  Result<Config> r = Parse(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = *r;
  EXPECT_EQ(c.origin, "/etc/cs/credsweep.toml");
  EXPECT_EQ(c.store.path, "/etc/cs/store");
  EXPECT_EQ(c.directory.url, "ldif:/etc/cs/accounts.ldif");
  EXPECT_EQ(c.directory.flavor, "openldap");
  EXPECT_EQ(c.directory.bind_password_file, "/run/secrets/bind");
  EXPECT_EQ(c.directory.ca_file, "/etc/cs/ca.pem");
  EXPECT_TRUE(c.directory.allow_plaintext);
  EXPECT_EQ(c.directory.page_size, 100);
  EXPECT_EQ(c.directory.timeout_seconds, 5);
  EXPECT_EQ(c.hashes.file, "/etc/cs/dumps/ntds.txt");
  EXPECT_EQ(c.hashes.format, "secretsdump");
  EXPECT_EQ(c.classify.privileged_groups.size(), 2u);
  EXPECT_EQ(c.classify.it_staff_group, "IT Staff");
  EXPECT_EQ(c.classify.external_attribute.at("employeeType"), "consultant");
  EXPECT_EQ(c.classify.admin_name_patterns[0], "^adm-(.+)$");
  EXPECT_EQ(c.classify.owner_map, "/etc/cs/owners.csv");
  EXPECT_EQ(c.rules.leaked_min_count, 10u);
  EXPECT_EQ(c.rules.external_max_days, 90);
  EXPECT_EQ(c.rules.stale_days, 60);
  EXPECT_FALSE(c.rules.check_history);
  EXPECT_EQ(c.rules.disabled, std::vector<std::string>{"stale-account"});
  EXPECT_EQ(c.LineOf("[rules] disabled"), 30);
  EXPECT_EQ(c.auth.required_level.at("Domain Admins"), 4);
  EXPECT_FALSE(c.auth.smartcard_counts_as_pki);
  EXPECT_EQ(c.remediation.max_forced_changes.value(), 25u);
  EXPECT_EQ(c.notify.language, "da");
  EXPECT_EQ(c.notify.template_dir, "/etc/cs/templates");
  EXPECT_EQ(c.smtp.password_file, "/etc/cs/smtp.pw");
  EXPECT_EQ(c.log.signing_key, "/etc/cs/keys/log.key");
  EXPECT_EQ(c.run.state_dir, "/etc/cs/state");
  EXPECT_EQ(c.run.out_dir, "/etc/cs/out");
  EXPECT_TRUE(c.run.apply);
  ASSERT_EQ(c.exceptions.size(), 2u);
  EXPECT_EQ(c.exceptions[0].account, "svc-legacy");
  EXPECT_EQ(c.exceptions[0].expires, "2027-01-31");
  EXPECT_EQ(c.exceptions[1].expires, "2026-12-31");  // TOML date accepted
  EXPECT_EQ(c.exceptions[1].approved_by, "IT manager");
}

// Each bad input must name FILE:LINE and the key, so the admin can fix it without guessing.
struct BadCase {
  const char* text;
  const char* expect;  // substring of the message
};

TEST(ConfigTest, ErrorsNameFileLineAndKey) {
  const BadCase cases[] = {
      {"[rules]\nstale_dayz = 3\n", "/etc/cs/credsweep.toml:2: [rules] stale_dayz: unknown key"},
      {"[rulez]\nx = 1\n", "/etc/cs/credsweep.toml:1: [rulez]: unknown section"},
      {"\n[rules]\nstale_days = \"90\"\n",
       "/etc/cs/credsweep.toml:3: [rules] stale_days: expected an integer, got a string"},
      {"[rules]\ncheck_history = 1\n", ":2: [rules] check_history: expected a boolean"},
      {"[rules]\nleaked_min_count = 0\n", ":2: [rules] leaked_min_count: must be between 1"},
      {"[classify]\nprivileged_groups = \"Domain Admins\"\n",
       ":2: [classify] privileged_groups: expected an array of strings"},
      {"[classify]\nprivileged_groups = [\"a\", 2]\n", ":2: [classify] privileged_groups"},
      {"[directory]\nflavor = \"novell\"\n", ":2: [directory] flavor: must be one of \"ad\", \"openldap\""},
      {"[directory]\nurl = \"http://x\"\n", ":2: [directory] url: must start with"},
      {"[directory]\nurl = \"ldaps://dc:636\"\n", ":1: [directory] base: required"},
      {"[auth]\nrequired_level = { Admins = 5 }\n", ":2: [auth] required_level.Admins: must be between 1 and 4"},
      {"[store]\npath = \"x\"\n[store]\npath = \"y\"\n", ":3: TOML syntax error"},
      {"[rules\n", ":1: TOML syntax error"},
      {"[[exceptions]]\naccount = \"a\"\nrule = \"stale-account\"\nreason = \"r\"\nexpires = \"2027-01-01\"\n",
       ":1: [[exceptions]] approved_by: required key is missing"},
      {"[[exceptions]]\naccount = \"a\"\nrule = \"r\"\nreason = \"r\"\napproved_by = \"b\"\nexpires = \"31/01/2027\"\n",
       ":6: [[exceptions]] expires: must be a date YYYY-MM-DD"},
      {"[[exceptions]]\naccount = \"a\"\nwho = \"b\"\n", ":3: [[exceptions]] who: unknown key"},
      {"exceptions = 3\n", ":1: exceptions: expected an array of tables"},
      {"[guess]\nwords = \"Solbjerg\"\n", ":2: [guess] words: expected an array of strings"},
      {"[guess]\nrules = \"x.rule\"\n", ":2: [guess] rules: unknown key"},
      {"[guess]\nthreads = -1\n", ":2: [guess] threads: must be between 0 and 256"},
      {"[rules]\nkrbtgt_max_days = 0\n", ":2: [rules] krbtgt_max_days: must be between 1"},
  };
  for (const BadCase& bc : cases) {
    Result<Config> c = Parse(bc.text);
    ASSERT_FALSE(c.ok()) << bc.text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << bc.text;
    EXPECT_THAT(c.status().message(), HasSubstr(bc.expect)) << bc.text;
    EXPECT_EQ(ExitCodeFor(c.status()), kExitUsage);
  }
}

TEST(ConfigTest, GuessSectionAndAgeLimits) {
  Result<Config> c = Parse(
      "[rules]\nkrbtgt_max_days = 90\nadmin_password_max_days = 200\n"
      "[guess]\nwords = [\"Rådhus\", \"Borgerservice\"]\nwords_file = \"words.txt\"\n"
      "rules_file = \"/etc/cs/site.rule\"\nthreads = 2\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rules.krbtgt_max_days, 90);
  EXPECT_EQ(c->rules.admin_password_max_days, 200);
  EXPECT_EQ(c->guess.words, (std::vector<std::string>{"Rådhus", "Borgerservice"}));
  EXPECT_EQ(c->guess.words_file, "/etc/cs/words.txt");  // relative to the config's folder
  EXPECT_EQ(c->guess.rules_file, "/etc/cs/site.rule");
  EXPECT_EQ(c->guess.threads, 2);
}

TEST(ConfigTest, LoadConfigResolvesAgainstTheFilesDirectory) {
  const std::string dir = MakeTestTempDir("cs_config_test");
  ASSERT_FALSE(dir.empty());
  ASSERT_TRUE(WriteFileAtomic(dir + "/c.toml", "[store]\npath = \"corpus\"\n").ok());
  Result<Config> c = LoadConfig(dir + "/c.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->store.path, dir + "/corpus");
  EXPECT_EQ(c->origin, dir + "/c.toml");

  Result<Config> missing = LoadConfig(dir + "/nope.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(ExitCodeFor(missing.status()), kExitUsage);
  EXPECT_THAT(missing.status().message(), HasSubstr(dir + "/nope.toml"));
}

}  // namespace
}  // namespace credsweep
