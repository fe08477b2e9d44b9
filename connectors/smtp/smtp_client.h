// Sending mail: the Mailer seam and its SMTP implementation over libcurl (loaded by Create on
// first use: connectors/smtp/curl_library.h).
//
// Security defaults (requirement S9: encrypted transport, TLS >= 1.2):
//   - smtp://host:587 must upgrade with STARTTLS (CURLUSESSL_ALL): a server that does not offer
//     STARTTLS is an error, never a silent plaintext send. smtps://host:465 is TLS from the
//     first byte. SmtpConfig::allow_plaintext (tests only) relaxes this to "STARTTLS if offered".
//   - TLS 1.2 or newer (CURL_SSLVERSION_TLSv1_2); the server certificate and host name are
//     verified against SmtpConfig::ca_file (or the system store when empty).
//   - AUTH only when SmtpConfig::username is set; the password comes from password_file (first
//     line, trailing CR/LF stripped) or env CREDSWEEP_SMTP_PASSWORD, is held in sodium-locked
//     memory and never appears in a message.
//   - Only the smtp and smtps protocols are allowed on the handle.
//
// Failure policy for Send (messages name the URL and the server's reason, never the password):
//   kUnavailable        cannot connect / time out / TLS failed / no STARTTLS offered
//   kPermissionDenied   AUTH refused
//   kFailedPrecondition the server refused the sender, a recipient or the message (5xx)
//   kInternal           anything else libcurl reports
//
// Thread-safety: an SmtpClient is not thread-safe (one libcurl easy handle, reused so that
// several messages go over one connection).
#pragma once

#include <memory>
#include <string>

#include "engine/base/secure_memory.h"
#include "engine/base/status.h"
#include "engine/config/config.h"

namespace credsweep {

struct CurlLibrary;  // connectors/smtp/curl_library.h

// A bare addr-spec safe to put in a header and an SMTP command: one "@", no whitespace, control
// characters, angle brackets, commas or semicolons (header and command injection), <= 254 bytes.
bool IsPlausibleMailAddress(const std::string& address);

// Delivers one RFC 5322 message (CRLF line endings) to one recipient.
class Mailer {
 public:
  virtual ~Mailer() = default;
  [[nodiscard]] virtual Status Send(const std::string& envelope_from, const std::string& to,
                                    const std::string& message) = 0;
  // Who sends, for the action log: the SMTP user, or the envelope sender without AUTH.
  virtual std::string Identity() const = 0;
};

class SmtpClient : public Mailer {
 public:
  // Validates cfg (url scheme, password present when username is set) without connecting.
  // kInvalidArgument naming the key when something is missing; kFailedPrecondition when libcurl
  // cannot be loaded.
  [[nodiscard]] static Result<std::unique_ptr<SmtpClient>> Create(const SmtpConfig& cfg,
                                                                  const std::string& from);
  ~SmtpClient() override;
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  Status Send(const std::string& envelope_from, const std::string& to,
              const std::string& message) override;
  std::string Identity() const override;

 private:
  SmtpClient() = default;
  SmtpConfig cfg_;
  std::string from_;
  SecretBuffer password_;  // empty without AUTH
  const CurlLibrary* lib_ = nullptr;  // loaded by Create
  void* curl_ = nullptr;              // CURL*
};

}  // namespace credsweep
