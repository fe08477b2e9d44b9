#include "engine/report/html_report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace credsweep {
namespace {

Finding F(const std::string& rule, const std::string& req, const std::string& sev,
          const std::string& account, AccountClass cls = AccountClass::kRegular) {
  Finding f;
  f.rule = rule;
  f.requirement = req;
  f.severity = sev;
  f.account = account;
  f.display_name = account + " Person";
  f.dn = "CN=" + account + ",OU=Users,DC=kommune,DC=dk";
  f.account_class = cls;
  f.detail = "detail for " + account;
  return f;
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// A small municipality: a leaked password shared by two ordinary users, a rarer leaked one on
// an admin account, an admin sharing with its daily account, a waiver, a hostile display name.
ReportInput MakeInput() {
  ReportInput in;
  FindingsDocument& doc = in.findings;
  doc.run.id = "run-2026-11";
  doc.run.started_at = "2026-11-01T02:00:00Z";
  doc.run.finished_at = "2026-11-01T02:00:05Z";
  doc.run.directory = "ldaps://dc1.kommune.dk";
  doc.run.flavor = "ad";
  doc.run.store = "/var/lib/credsweep/store";
  doc.run.accounts_checked = 1234;
  doc.run.corpus_sources.resize(1);
  doc.run.corpus_sources[0].name = "hibp-ntlm";
  doc.run.corpus_sources[0].version = "v9-2026-10";
  doc.run.corpus_sources[0].lines = 1000000;
  doc.run.corpus_sources[0].imported_at = "2026-10-02T00:00:00Z";
  doc.run.counts = {{"leaked-password", 3}, {"shared-password", 2}, {"admin-shares-password", 2},
                    {"external-no-expiry", 1}, {"stale-account", 0}};

  Finding a = F("leaked-password", "S12", "high", "anna");
  a.prevalence = PrevalenceBandOf(90000);
  a.rank_count = 90000;  // in-process only: must never be rendered
  a.group = "shared-1";
  Finding b = F("leaked-password", "S12", "high", "bent");
  b.prevalence = PrevalenceBandOf(90000);
  b.rank_count = 90000;
  b.group = "shared-1";
  b.display_name = "<script>alert('x')</script>";
  Finding c = F("leaked-password", "S12", "critical", "adm-carl", AccountClass::kPrivileged);
  c.prevalence = PrevalenceBandOf(40);
  Finding s1 = F("shared-password", "K9", "medium", "anna");
  s1.group = "shared-1";
  Finding s2 = F("shared-password", "K9", "medium", "bent");
  s2.group = "shared-1";
  s2.display_name = b.display_name;
  Finding s3 = F("admin-shares-password", "S6", "high", "adm-dora", AccountClass::kPrivileged);
  s3.group = "shared-2";
  Finding s4 = F("admin-shares-password", "S6", "high", "dora");
  s4.group = "shared-2";
  Finding e = F("external-no-expiry", "K5", "high", "ext-erik", AccountClass::kExternal);
  Finding w = F("password-never-expires", "K9", "low", "fie");
  w.waived = true;
  w.waiver_reason = "kiosk PC, replaced in Q1";
  w.waiver_approved_by = "IT-chef Hansen";
  w.waiver_expires = "2027-03-31";
  doc.findings = {a, b, c, s1, s2, s3, s4, e, w};

  AccountSummary adm;
  adm.account = "adm-carl";
  adm.account_class = AccountClass::kPrivileged;
  adm.classes = {"privileged"};
  adm.auth_level = 2;
  AccountSummary ext;
  ext.account = "ext-erik";
  ext.account_class = AccountClass::kExternal;
  ext.classes = {"external"};
  ext.owner_mail = "sponsor@kommune.dk";
  AccountSummary reg;
  reg.account = "anna";
  doc.accounts = {adm, ext, reg};

  FillFromFindings(doc, &in.run);
  in.run.finished_at = doc.run.finished_at;
  in.run.actions.planned = 2;
  in.run.actions.outbox = 1;
  in.run.log_head_hash = "9f86d081884c7d659a2feaa0c55ad015";
  in.run.log_entries = 42;
  in.config_path = "/etc/credsweep/credsweep.toml";
  in.run.stages = {{"audit", "ok", "1234 accounts"}, {"enforce", "ok", "2 planned"}};
  RunRecord older;
  older.id = "run-2026-10";
  older.started_at = "2026-10-01T02:00:00Z";
  older.findings = 20;
  older.counts = {{"leaked-password", 9}};
  in.history = {older, in.run};
  in.actions = {{"anna", "", "leaked-password", "force change at next logon", "", "planned (dry run)"},
                {"svc-backup", "", "leaked-password", "notify owner", "owner@kommune.dk", "outbox"}};
  in.log_path = "/var/lib/credsweep/state/actions.log";
  in.log_pubkey_path = "/etc/credsweep/log.pub";
  in.generated_at = "2026-11-01T02:00:06Z";
  return in;
}

TEST(HtmlReportTest, EveryAuditorSectionIsPresent) {
  const std::string html = RenderHtmlReport(MakeInput());
  for (const char* id : {"summary", "requirements", "leaked", "guessable", "shared", "privileged",
                         "external", "actions", "trend", "waived", "findings", "evidence"}) {
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
  }
  for (const char* req : {"S12", "S6", "K5", "K9", "S11"}) {
    EXPECT_NE(html.find(std::string("<td><b>") + req + "</b></td>"), std::string::npos) << req;
  }
}

TEST(HtmlReportTest, DirectoryTextIsEscapedAndNothingIsFetchedOrRun) {
  const std::string html = RenderHtmlReport(MakeInput());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
  // Self-contained: no URL a browser would load.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
}

TEST(HtmlReportTest, LeakedPasswordsAreRankedByRiskAndShownOnlyAsAccounts) {
  const std::string html = RenderHtmlReport(MakeInput());
  const size_t section = html.find("<section id=\"leaked\"");
  const size_t end = html.find("</section>", section);
  const std::string leaked = html.substr(section, end - section);
  // Two accounts sharing a password seen 10 k–100 k times outrank one admin with a rare one.
  const size_t row_a = leaked.find("Password A");
  const size_t row_b = leaked.find("Password B");
  ASSERT_NE(row_a, std::string::npos);
  ASSERT_NE(row_b, std::string::npos);
  EXPECT_EQ(leaked.find("Password C"), std::string::npos);  // anna+bent are one cluster
  const std::string first = leaked.substr(row_a, row_b - row_a);
  EXPECT_NE(first.find("anna"), std::string::npos);
  EXPECT_NE(first.find("bent"), std::string::npos);
  EXPECT_NE(first.find("10 k–100 k"), std::string::npos);
  // Only the band: the exact count appears nowhere in the report.
  EXPECT_EQ(html.find("90,000"), std::string::npos);
  EXPECT_EQ(html.find("90000"), std::string::npos);
  EXPECT_NE(leaked.substr(row_b).find("adm-carl"), std::string::npos);
}

TEST(HtmlReportTest, WaivedFindingIsListedWithExpiryAndNotCountedAsOpen) {
  ReportInput in = MakeInput();
  const std::string html = RenderHtmlReport(in);
  const size_t section = html.find("<section id=\"waived\"");
  const std::string waived = html.substr(section, html.find("</section>", section) - section);
  EXPECT_NE(waived.find("fie"), std::string::npos);
  EXPECT_NE(waived.find("2027-03-31"), std::string::npos);
  EXPECT_NE(waived.find("IT-chef Hansen"), std::string::npos);
  EXPECT_EQ(in.run.findings, 8u);
  EXPECT_EQ(in.run.waived, 1u);
  const size_t all = html.find("<section id=\"findings\"");
  const std::string open = html.substr(all, html.find("</section>", all) - all);
  EXPECT_EQ(open.find("password-never-expires"), std::string::npos);
}

TEST(HtmlReportTest, EvidenceNamesCorpusVersionLogHeadAndTheVerifyCommand) {
  const std::string html = RenderHtmlReport(MakeInput());
  const size_t section = html.find("<section id=\"evidence\"");
  const std::string ev = html.substr(section);
  EXPECT_NE(ev.find("v9-2026-10"), std::string::npos);
  EXPECT_NE(ev.find("1,234"), std::string::npos);
  EXPECT_NE(ev.find("2026-11-01T02:00:00Z"), std::string::npos);
  EXPECT_NE(ev.find("9f86d081884c7d659a2feaa0c55ad015"), std::string::npos);
  // The anchor is the head AND the count: an emptied or shortened log fails either command.
  EXPECT_NE(ev.find("<dt>Log entries</dt><dd>42</dd>"), std::string::npos);
  EXPECT_NE(ev.find("credsweep log verify --config /etc/credsweep/credsweep.toml\n"),
            std::string::npos);
  EXPECT_NE(ev.find("credsweep log verify --log /var/lib/credsweep/state/actions.log --pubkey "
                    "/etc/credsweep/log.pub --expect-head 9f86d081884c7d659a2feaa0c55ad015 "
                    "--expect-count 42"),
            std::string::npos);
}

TEST(HtmlReportTest, TrendChartHasOnePointPerRunForBothSeries) {
  ReportInput in = MakeInput();
  const std::string html = RenderHtmlReport(in);
  EXPECT_EQ(Count(html, "<circle class=\"s-all\""), 2u);
  EXPECT_EQ(Count(html, "<circle class=\"s-leak\""), 2u);
  EXPECT_NE(html.find("2026-10-01"), std::string::npos);
  // A history with twenty-four runs at most: older ones drop off the chart.
  for (int i = 0; i < 30; ++i) in.history.push_back(in.run);
  EXPECT_EQ(Count(RenderHtmlReport(in), "<circle class=\"s-all\""), 24u);
}

TEST(HtmlReportTest, ReportJsonSummarisesWithoutSecrets) {
  const std::string text = RenderReportJson(MakeInput());
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["format"], "credsweep-report");
  EXPECT_EQ(j["requirements"]["S12"]["high"], 2);
  EXPECT_EQ(j["requirements"]["S12"]["critical"], 1);
  ASSERT_EQ(j["leaked_passwords"].size(), 2u);
  EXPECT_EQ(j["leaked_passwords"][0]["accounts"].size(), 2u);
  EXPECT_EQ(j["leaked_passwords"][0]["prevalence"], "10 k–100 k");  // a band, never the count
  EXPECT_EQ(text.find("90000"), std::string::npos);
  EXPECT_EQ(j["waived"][0]["expires"], "2027-03-31");
  EXPECT_EQ(j["history"].size(), 2u);
}

TEST(HtmlReportTest, GuessablePasswordsAreListedByPatternOnly) {
  ReportInput in = MakeInput();
  Finding g1 = F("guessable-password", "S12", "critical", "gro");
  g1.group = "season + year + symbol";
  Finding g2 = F("guessable-password", "S12", "critical", "hans");
  g2.group = "season + year + symbol";
  Finding g3 = F("guessable-password", "S12", "critical", "ida");
  g3.group = "organisation name + digits";
  g3.history = true;
  Finding u = F("password-is-username", "K9", "critical", "jens");
  in.findings.findings.insert(in.findings.findings.end(), {g3, g1, u, g2});
  const std::string html = RenderHtmlReport(in);
  const size_t at = html.find("<section id=\"guessable\"");
  ASSERT_NE(at, std::string::npos);
  const std::string section = html.substr(at, html.find("</section>", at) - at);
  const size_t season = section.find("season + year + symbol");
  ASSERT_NE(season, std::string::npos);
  EXPECT_LT(season, section.find("organisation name + digits"));  // most accounts first
  EXPECT_NE(section.find("account name (password-is-username)"), std::string::npos);
  EXPECT_NE(section.find("previous password"), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(RenderReportJson(in));
  ASSERT_EQ(j["guessable_passwords"].size(), 3u);
  EXPECT_EQ(j["guessable_passwords"][0]["pattern"], "season + year + symbol");
  EXPECT_EQ(j["guessable_passwords"][0]["accounts"], nlohmann::json::array({"gro", "hans"}));
  // No guessing finding: the section says so.
  EXPECT_NE(RenderHtmlReport(MakeInput()).find("No password matched a guessed pattern."),
            std::string::npos);
}

TEST(HtmlReportTest, EmptyRunStillRendersAReadableReport) {
  ReportInput in;
  in.findings.run.id = "empty";
  in.findings.run.started_at = "2026-11-01T02:00:00Z";
  const std::string html = RenderHtmlReport(in);
  EXPECT_NE(html.find("No account uses a leaked password."), std::string::npos);
  EXPECT_NE(html.find("No run history yet."), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace credsweep
