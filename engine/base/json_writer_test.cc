#include "engine/base/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/base/test_temp_dir.h"

namespace credsweep {
namespace {

std::string Dom(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// Directory values are arbitrary bytes: each must come out exactly as nlohmann writes it,
// including bad UTF-8 (replaced by U+FFFD) and control characters.
TEST(JsonWriterTest, StringsAreEscapedExactlyAsNlohmannDoes) {
  const std::vector<std::string> values = {
      "",
      "plain ascii",
      "quote \" backslash \\ slash /",
      "tab\tnewline\ncr\rbackspace\bformfeed\f",
      std::string("nul \0 and \x01 \x1f \x7f", 20),
      "Søren Ærø Åse",                       // 2-byte UTF-8
      "\xE2\x82\xAC euro, \xF0\x9F\x94\x91 key",  // 3- and 4-byte
      "bad \xFF byte",
      "truncated \xC3",
      "overlong \xC0\xAF",
      "surrogate \xED\xA0\x80",
      "above max \xF4\x90\x80\x80",
      "lone continuation \x80 then ok \xC3\xA6",
      "=cmd|' /C calc'!A0",
  };
  for (const std::string& v : values) {
    std::string text;
    OutputBuffer out(&text);
    JsonWriter w(&out);
    w.String(v);
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_EQ(text, Dom(nlohmann::json(v))) << "value: " << v;
  }
}

TEST(JsonWriterTest, EveryByteInEveryPositionOfTheWordScanIsEscapedLikeNlohmann) {
  // The plain/ASCII scan reads eight bytes at a time: each byte value at each position of a
  // 19-byte string (two words and a tail) must decide exactly as the DOM does.
  for (int b = 0; b < 256; ++b) {
    for (size_t pos = 0; pos < 19; ++pos) {
      std::string v = "CN=u000001,OU=Usrs";  // 18 plain bytes + the probe
      v.insert(pos, 1, static_cast<char>(b));
      std::string text;
      OutputBuffer out(&text);
      JsonWriter w(&out);
      w.String(v);
      ASSERT_TRUE(w.Finish().ok());
      ASSERT_EQ(text, Dom(nlohmann::json(v))) << "byte " << b << " at " << pos;
    }
  }
}

TEST(JsonWriterTest, NestedContainersNumbersAndEmptiesMatchTheDom) {
  nlohmann::json dom = {{"a", nlohmann::json::array()},
                        {"b", nlohmann::json::object()},
                        {"c", {1, -2, 18446744073709551615ULL}},
                        {"d", {{"x", true}, {"y", nullptr}, {"z", 0.95}}},
                        {"e", {{{"k", "v"}}, nlohmann::json::array()}},
                        {"f", 0.0}};
  std::string text;
  OutputBuffer out(&text);
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.EndArray();
  w.Key("b");
  w.BeginObject();
  w.EndObject();
  w.Key("c");
  w.BeginArray();
  w.Int(1);
  w.Int(-2);
  w.Uint(18446744073709551615ULL);
  w.EndArray();
  w.Key("d");
  w.BeginObject();
  w.BoolField("x", true);
  w.Key("y");
  w.Null();
  w.Key("z");
  w.Double(0.95);
  w.EndObject();
  w.Key("e");
  w.BeginArray();
  w.BeginObject();
  w.StringField("k", "v");
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.EndArray();
  w.Key("f");
  w.Double(0.0);
  w.EndObject();
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(text, Dom(dom));
}

// A big document goes out in pieces; the bytes are the same as collected in one string.
TEST(JsonWriterTest, FileOutputFlushesInPiecesAndCommitsTheSameBytes) {
  const std::string dir = MakeTestTempDir("cs_json_writer");
  ASSERT_FALSE(dir.empty());
  const std::string path = dir + "/big.json";
  auto write = [](OutputBuffer* out) {
    JsonWriter w(out);
    w.BeginArray();
    for (int i = 0; i < 200000; ++i) w.String("account number " + std::to_string(i));
    w.EndArray();
    return w.Finish();
  };
  std::string expected;
  OutputBuffer collect(&expected);
  ASSERT_TRUE(write(&collect).ok());
  ASSERT_GT(expected.size(), size_t{3} << 20);
  Result<AtomicFile> file = AtomicFile::Create(path, 0600);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  OutputBuffer out(&*file);
  ASSERT_TRUE(write(&out).ok());
  ASSERT_TRUE(file->Commit().ok());
  Result<std::string> back = ReadFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, expected);
}

}  // namespace
}  // namespace credsweep
