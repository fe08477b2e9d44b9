#include "connectors/directory/ldif_reader.h"

#include <gtest/gtest.h>

namespace credsweep {
namespace {

TEST(LdifReaderTest, LdapsearchExportWithFoldingBase64CommentsAndTrailer) {
  // What `ldapsearch -x -H … -b … '(objectClass=user)'` prints, including folded lines,
  // base64 values (objectSid, a non-ASCII displayName) and the result trailer.
  const char* text =
      "# extended LDIF\r\n"
      "#\r\n"
      "# LDAPv3\r\n"
      "# base <DC=corp,DC=example,DC=test> with scope subtree\r\n"
      "\r\n"
      "# jdoe, Users, corp.example.test\r\n"
      "dn: CN=John Doe,CN=Users,DC=corp,DC=exam\r\n"
      " ple,DC=test\r\n"
      "objectClass: top\r\n"
      "objectClass: user\r\n"
      "sAMAccountName: jdoe\r\n"
      "displayName:: SsO4cmdlbiBIYW5zZW4=\r\n"
      "objectSid:: AQUAAAAAAAUVAAAAoWX7m3Cc2twXD5mqTwQAAA==\r\n"
      "member;range=0-1: CN=a,DC=x\r\n"
      "description: a long value that was folded by ldapsearch at seventy-six colum\r\n"
      " ns\r\n"
      "\r\n"
      "\r\n"
      "# search reference\r\n"
      "ref: ldap://corp.example.test/CN=Configuration,DC=corp,DC=example,DC=test\r\n"
      "\r\n"
      "# search result\r\n"
      "search: 2\r\n"
      "result: 0 Success\r\n"
      "\r\n"
      "# numResponses: 3\r\n";
  LdifParseResult r = ParseLdif(text, "export.ldif");
  EXPECT_TRUE(r.skipped.empty()) << r.skipped[0].reason;
  ASSERT_EQ(r.entries.size(), 1u);
  const LdapEntry& e = r.entries[0];
  EXPECT_EQ(e.dn, "CN=John Doe,CN=Users,DC=corp,DC=example,DC=test");
  EXPECT_EQ(e.attrs.at("objectclass"), (std::vector<std::string>{"top", "user"}));
  EXPECT_EQ(e.attrs.at("samaccountname")[0], "jdoe");
  EXPECT_EQ(e.attrs.at("displayname")[0], "J\xC3\xB8rgen Hansen");
  EXPECT_EQ(e.attrs.at("objectsid")[0].size(), 28u);
  EXPECT_EQ(e.attrs.at("member;range=0-1")[0], "CN=a,DC=x");
  EXPECT_EQ(e.attrs.at("description")[0],
            "a long value that was folded by ldapsearch at seventy-six columns");
}

TEST(LdifReaderTest, BadRecordsAreSkippedWithLineAndParsingGoesOn) {
  const char* text =
      "version: 1\n"
      "\n"
      "dn: uid=ok1,dc=x\n"
      "uid: ok1\n"
      "\n"
      "dn: uid=badb64,dc=x\n"
      "sambaNTPassword:: !!!notbase64!!!\n"
      "\n"
      "uid: nodn\n"
      "\n"
      "dn: uid=nocolon,dc=x\n"
      "this line has no colon\n"
      "\n"
      "dn: uid=url,dc=x\n"
      "jpegPhoto:< file:///etc/passwd\n"
      "\n"
      "dn: uid=mod,dc=x\n"
      "changetype: modify\n"
      "replace: mail\n"
      "\n"
      "dn: uid=ok2,dc=x\n"
      "changetype: add\n"
      "uid: ok2\n"
      "mail:\n";  // empty value, no trailing blank line
  LdifParseResult r = ParseLdif(text, "f.ldif");
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].dn, "uid=ok1,dc=x");
  EXPECT_EQ(r.entries[1].dn, "uid=ok2,dc=x");
  EXPECT_EQ(r.entries[1].attrs.at("mail")[0], "");
  EXPECT_EQ(r.entries[1].attrs.count("changetype"), 0u);
  ASSERT_EQ(r.skipped.size(), 5u);
  EXPECT_EQ(r.skipped[0].dn, "uid=badb64,dc=x");
  EXPECT_EQ(r.skipped[0].reason, "f.ldif:7: attribute 'sambantpassword' has an invalid base64 value");
  EXPECT_EQ(r.skipped[1].reason, "f.ldif:9: record does not start with 'dn:'");
  EXPECT_EQ(r.skipped[2].reason, "f.ldif:12: not an 'attribute: value' line");
  EXPECT_NE(r.skipped[3].reason.find("URL"), std::string::npos);
  EXPECT_NE(r.skipped[4].reason.find("changetype: modify"), std::string::npos);
  for (const auto& s : r.skipped) EXPECT_EQ(s.reason.find("notbase64"), std::string::npos);
}

TEST(LdifReaderTest, EachEntryHoldsOnlyItsOwnAttributes) {
  // The reader reuses one entry's storage from record to record: nothing of a record may show
  // in the next one, whatever the consumer moved out of it, and a bad record in between leaves
  // no trace either.
  const char* text =
      "dn: CN=a,DC=x\n"
      "objectClass: user\n"
      "description: only in a\n"
      "member: CN=g1,DC=x\n"
      "member: CN=g2,DC=x\n"
      "\n"
      "dn: CN=bad,DC=x\n"
      "mail: bad@x\n"
      "not a line\n"
      "\n"
      "dn: CN=b,DC=x\n"
      "objectClass: user\n"
      "member: CN=g3,DC=x\n"
      "\n";
  std::vector<LdapEntry> seen;
  std::vector<SkippedEntry> skipped;
  ForEachLdifEntry(text, "t.ldif", [&](LdapEntry&& e) {
    // Like SnapshotBuilder: take some values out, leave the rest.
    LdapEntry kept;
    kept.dn = std::move(e.dn);
    kept.attrs["member"] = std::move(e.attrs["member"]);
    for (const auto& [k, v] : e.attrs)
      if (k != "member") kept.attrs[k] = v;
    seen.push_back(std::move(kept));
  }, &skipped);
  ASSERT_EQ(seen.size(), 2u);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(seen[0].dn, "CN=a,DC=x");
  EXPECT_EQ(seen[0].attrs.at("member"), (std::vector<std::string>{"CN=g1,DC=x", "CN=g2,DC=x"}));
  EXPECT_EQ(seen[0].attrs.at("description"), std::vector<std::string>{"only in a"});
  EXPECT_EQ(seen[1].dn, "CN=b,DC=x");
  EXPECT_EQ(seen[1].attrs.count("description"), 0u);
  EXPECT_EQ(seen[1].attrs.count("mail"), 0u);
  EXPECT_EQ(seen[1].attrs.at("objectclass"), std::vector<std::string>{"user"});
  EXPECT_EQ(seen[1].attrs.at("member"), std::vector<std::string>{"CN=g3,DC=x"});
  EXPECT_EQ(seen[1].attrs.size(), 2u);
}

TEST(LdifReaderTest, DegenerateInputs) {
  EXPECT_TRUE(ParseLdif("", "e").entries.empty());
  EXPECT_TRUE(ParseLdif("\n\n\n", "e").entries.empty());
  EXPECT_TRUE(ParseLdif("# only a comment\n continued comment\n", "e").entries.empty());
  LdifParseResult lead = ParseLdif(" leading continuation\n", "e");
  EXPECT_TRUE(lead.entries.empty());
  EXPECT_EQ(lead.skipped.size(), 1u);
  LdifParseResult base64dn = ParseLdif("dn:: dWlkPWrDuHJnZW4sZGM9eA==\nuid: j\n", "e");
  ASSERT_EQ(base64dn.entries.size(), 1u);
  EXPECT_EQ(base64dn.entries[0].dn, "uid=j\xC3\xB8rgen,dc=x");
}

// Pieces for reading one export on several threads: cut after blank lines only, together the
// whole text, and read in order they give what one pass gives — entries, skipped records and
// their line numbers, "version: 1" only at the file's start.
TEST(LdifReaderTest, PiecesReadInOrderGiveWhatOnePassGives) {
  for (const std::string eol : {"\n", "\r\n"}) {
    std::string text = "version: 1" + eol + eol;
    for (int i = 0; i < 3000; ++i) {
      text += "dn: CN=u" + std::to_string(i) + ",DC=x" + eol;
      if (i % 997 == 500) text += "a line without a colon" + eol;  // skipped, with its line
      text += "sAMAccountName: u" + std::to_string(i) + eol;
      text += "description: folded" + eol + " value " + std::to_string(i) + eol;
      if (i % 1000 == 999) text += "version: 1" + eol;  // an attribute here, not the header
      text += eol;
      if (i % 700 == 3) text += "# a comment" + eol + " continued" + eol + eol + eol;
    }
    const LdifParseResult whole = ParseLdif(text, "x.ldif");
    ASSERT_EQ(whole.skipped.size(), 3u);
    for (size_t max_pieces : {2u, 3u, 7u}) {
      const std::vector<LdifPiece> pieces = LdifPieces(text, max_pieces, 1000);
      ASSERT_EQ(pieces.size(), max_pieces);
      std::string joined;
      std::vector<LdapEntry> entries;
      std::vector<SkippedEntry> skipped;
      for (size_t p = 0; p < pieces.size(); ++p) {
        joined += pieces[p].text;
        EXPECT_EQ(pieces[p].at.file_start, p == 0);
        if (p + 1 < pieces.size()) {
          EXPECT_TRUE(pieces[p].text.ends_with(eol + eol)) << p;
        }
        ForEachLdifEntry(pieces[p].text, "x.ldif",
                         [&](LdapEntry&& e) { entries.push_back(std::move(e)); }, &skipped,
                         pieces[p].at);
      }
      EXPECT_EQ(joined, text);
      ASSERT_EQ(entries.size(), whole.entries.size());
      for (size_t i = 0; i < entries.size(); ++i) {
        ASSERT_EQ(entries[i].dn, whole.entries[i].dn);
        ASSERT_EQ(entries[i].attrs, whole.entries[i].attrs);
      }
      ASSERT_EQ(skipped.size(), whole.skipped.size());
      for (size_t i = 0; i < skipped.size(); ++i) {
        EXPECT_EQ(skipped[i].reason, whole.skipped[i].reason);  // "x.ldif:LINE: …"
        EXPECT_EQ(skipped[i].dn, whole.skipped[i].dn);
      }
    }
  }
  // Small text stays one piece.
  EXPECT_EQ(LdifPieces("dn: a\n\ndn: b\n", 2, 1000).size(), 1u);
}

}  // namespace
}  // namespace credsweep
