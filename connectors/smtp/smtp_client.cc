#include "connectors/smtp/smtp_client.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "connectors/smtp/curl_library.h"
#include "engine/base/secure_memory.h"

namespace credsweep {
namespace {

struct UploadState {
  const std::string* data;
  size_t off;
};

size_t ReadCallback(char* buf, size_t size, size_t nitems, void* userp) {
  auto* st = static_cast<UploadState*>(userp);
  const size_t room = size * nitems;
  const size_t left = st->data->size() - st->off;
  const size_t n = left < room ? left : room;
  std::memcpy(buf, st->data->data() + st->off, n);
  st->off += n;
  return n;
}

}  // namespace

bool IsPlausibleMailAddress(const std::string& a) {
  if (a.empty() || a.size() > 254) return false;
  size_t at = a.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == a.size()) return false;
  for (unsigned char c : a) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';') return false;
  }
  return true;
}

Result<std::unique_ptr<SmtpClient>> SmtpClient::Create(const SmtpConfig& cfg,
                                                       const std::string& from) {
  if (cfg.url.empty()) {
    return Status::InvalidArgument("[smtp] url is not set; notify --send needs an SMTP server "
                                   "(smtp://host:587 with STARTTLS or smtps://host:465)");
  }
  if (cfg.url.rfind("smtp://", 0) != 0 && cfg.url.rfind("smtps://", 0) != 0) {
    return Status::InvalidArgument("[smtp] url must start with smtp:// or smtps://, got \"" +
                                   cfg.url + "\"");
  }
  if (!IsPlausibleMailAddress(from)) {
    return Status::InvalidArgument("[notify] from \"" + from + "\" is not a usable address");
  }
  if (UrlHasUserInfo(cfg.url)) {
    return Status::InvalidArgument(
        "[smtp] url carries a user name or password (user:password@host); credsweep refuses it "
        "so the password cannot reach logs or reports. Set [smtp] username and password_file");
  }
  std::unique_ptr<SmtpClient> c(new SmtpClient());
  c->cfg_ = cfg;
  c->from_ = from;
  if (!cfg.username.empty()) {
    Result<SecretBuffer> pw =
        ReadPassword(cfg.password_file, "CREDSWEEP_SMTP_PASSWORD", "[smtp] password_file");
    if (!pw.ok()) return pw.status().WithContext("[smtp] username is set");
    c->password_ = std::move(pw).value();
  }
  CS_ASSIGN_OR_RETURN(c->lib_, LoadCurl());
  c->curl_ = c->lib_->easy_init();
  if (c->curl_ == nullptr) return Status::Internal("curl_easy_init failed");
  return c;
}

SmtpClient::~SmtpClient() {
  if (curl_ != nullptr) lib_->easy_cleanup(static_cast<CURL*>(curl_));
}

std::string SmtpClient::Identity() const {
  return cfg_.username.empty() ? from_ : cfg_.username;
}

Status SmtpClient::Send(const std::string& envelope_from, const std::string& to,
                        const std::string& message) {
  if (!IsPlausibleMailAddress(envelope_from)) {
    return Status::InvalidArgument("sender \"" + envelope_from + "\" is not a usable address");
  }
  if (!IsPlausibleMailAddress(to)) {
    return Status::InvalidArgument("recipient \"" + to + "\" is not a usable address");
  }
  const CurlLibrary& curl = *lib_;
  CURL* h = static_cast<CURL*>(curl_);
  // Options are set on every send; the handle (and its live connection) is reused.
  char errbuf[CURL_ERROR_SIZE] = {0};
  const std::string mail_from = "<" + envelope_from + ">";
  const std::string rcpt = "<" + to + ">";
  curl_slist* rcpts = curl.slist_append(nullptr, rcpt.c_str());
  UploadState up{&message, 0};
  const bool smtps = cfg_.url.rfind("smtps://", 0) == 0;

  curl.easy_setopt(h, CURLOPT_URL, cfg_.url.c_str());
  curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl.easy_setopt(h, CURLOPT_USE_SSL,
                   static_cast<long>(smtps || !cfg_.allow_plaintext ? CURLUSESSL_ALL
                                                                    : CURLUSESSL_TRY));
  curl.easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!cfg_.ca_file.empty()) curl.easy_setopt(h, CURLOPT_CAINFO, cfg_.ca_file.c_str());
  if (!password_.empty()) {
    curl.easy_setopt(h, CURLOPT_USERNAME, cfg_.username.c_str());
    curl.easy_setopt(h, CURLOPT_PASSWORD, password_.c_str());
  }
  curl.easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl.easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
  curl.easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl.easy_setopt(h, CURLOPT_READFUNCTION, ReadCallback);
  curl.easy_setopt(h, CURLOPT_READDATA, &up);
  curl.easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(cfg_.timeout_seconds));
  curl.easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(cfg_.timeout_seconds));
  curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

  const CURLcode rc = curl.easy_perform(h);
  long response = 0;
  curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response);
  curl.easy_setopt(h, CURLOPT_MAIL_RCPT, static_cast<curl_slist*>(nullptr));
  curl.easy_setopt(h, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
  curl.slist_free_all(rcpts);
  if (rc == CURLE_OK) return Status::Ok();

  const std::string reason = errbuf[0] != '\0' ? errbuf : curl.easy_strerror(rc);
  const std::string where = "sending to " + to + " via " + cfg_.url + ": ";
  switch (rc) {
    case CURLE_USE_SSL_FAILED:
      return Status::Unavailable(where +
                                 "the server does not offer STARTTLS; refusing to send in "
                                 "plaintext (requirement S9). Fix the server, or set [smtp] "
                                 "allow_plaintext = true for tests only");
    case CURLE_LOGIN_DENIED:
      return Status::PermissionDenied(where + "authentication as " + cfg_.username +
                                      " was refused");
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return Status::Unavailable(where + reason);
    default:
      break;
  }
  if (response >= 500) {
    return Status::FailedPrecondition(where + "the server refused the message (" +
                                      std::to_string(response) + "): " + reason);
  }
  return Status::Unavailable(where + reason);
}

}  // namespace credsweep
