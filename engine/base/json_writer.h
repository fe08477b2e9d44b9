// A streaming JSON writer whose bytes equal nlohmann::json::dump(2, ' ', false,
// error_handler_t::replace) of the same document, written into an OutputBuffer
// (output_buffer.h).
//
// Why this shape (issue 11): findings.json for 100 000 accounts is ~57 MB. Built as an
// nlohmann DOM it cost ~1 GB of RSS and most of the audit's 3 s in small allocations (a map
// node, a key string and a value per field), then a second 57 MB string for dump(). Written
// field by field into a 1 MiB buffer that is flushed to the file as it fills, the output costs
// its bytes once and no memory that grows with the document.
//
// Example:
//   std::string text;
//   OutputBuffer out(&text);             // or OutputBuffer(&atomic_file)
//   JsonWriter w(&out);
//   w.BeginObject();
//   w.Key("accounts"); w.BeginArray(); ... w.EndArray();
//   w.Key("version"); w.Uint(2);
//   w.EndObject();
//   CS_RETURN_IF_ERROR(w.Finish());     // the final "\n", then flushes
//
// Contract for byte equality with nlohmann: keys are written in the order nlohmann sorts them
// (byte-wise, std::map order) and each key once — the writer does not sort. Strings are
// escaped as nlohmann escapes them with ensure_ascii = false: '"', '\\', \b \f \n \r \t by
// name, other control characters as \u00xx (lower-case hex), every other valid UTF-8 sequence
// as is. A string that is not valid UTF-8 is handed to nlohmann itself, so its replacement of
// bad sequences by U+FFFD is nlohmann's to the byte (the rare path). Doubles are printed by
// nlohmann too (one scalar, no DOM).
//
// Failure policy: the first write error is kept and returned by Finish (later writes are
// dropped); nothing throws. Thread-safety: one writer per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/output_buffer.h"
#include "engine/base/status.h"

namespace credsweep {

class JsonWriter {
 public:
  explicit JsonWriter(OutputBuffer* out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // Inside an object: the next member's name (then exactly one value or container).
  void Key(std::string_view key);
  void String(std::string_view s);
  void Uint(uint64_t v);
  void Int(int64_t v);
  void Bool(bool v) { Scalar(v ? "true" : "false"); }
  void Null() { Scalar("null"); }
  void Double(double v);
  // Key and value in one call (distinct names: a string literal would convert to bool).
  void StringField(std::string_view key, std::string_view v) {
    Key(key);
    String(v);
  }
  void UintField(std::string_view key, uint64_t v) {
    Key(key);
    Uint(v);
  }
  void IntField(std::string_view key, int64_t v) {
    Key(key);
    Int(v);
  }
  void BoolField(std::string_view key, bool v) {
    Key(key);
    Bool(v);
  }
  // The closing newline nlohmann's callers add ("dump(2) + \"\\n\""), then the buffer's Finish.
  [[nodiscard]] Status Finish();

  // `s` as a JSON string literal, quotes included, escaped as above.
  static void AppendEscaped(std::string_view s, OutputBuffer* out);

 private:
  struct Level {
    bool empty = true;  // nothing written inside yet: closes as "{}" / "[]"
  };
  void Open(char bracket);
  void Close(char bracket);
  void Scalar(std::string_view text);
  // Separator and indentation before a value in an array or a key in an object.
  void NextItem();
  void Indent(size_t depth);

  OutputBuffer* out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace credsweep
