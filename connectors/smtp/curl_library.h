// libcurl, loaded the first time credsweep sends mail.
//
// Why: libcurl (OpenSSL flavour) brings ~17 shared objects (OpenSSL, nghttp2, libssh2, Kerberos,
// librtmp, brotli …). Linked into the binary, every credsweep process mapped and relocated them
// before main(): ~5.5 ms of a process start that `check-password` pays inside each password
// change on a Samba DC (measured: a program linked only to libcurl starts in 6.9 ms, one linked
// to nothing in 1.4 ms). Only `notify --send` (and `run` with [notify] send = true) needs it.
//
// The library is the one the build compiled against (libcurl.so.4, Debian package libcurl4,
// which libcurl4-openssl-dev depends on), found by the dynamic linker's ordinary search; the
// function types below are the header's own (decltype), so a mismatch fails to compile.
//
// Errors (LoadCurl): kFailedPrecondition naming the library, the loader's reason and the package
// to install. Thread-safe; loaded once per process and never unloaded.
#pragma once

#include <curl/curl.h>

#include "engine/base/status.h"

namespace credsweep {

struct CurlLibrary {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

inline constexpr char kCurlLibraryFile[] = "libcurl.so.4";

// Loads libcurl and runs curl_global_init once per process; later calls return the same result.
[[nodiscard]] Result<const CurlLibrary*> LoadCurl();

}  // namespace credsweep
