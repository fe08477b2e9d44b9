#include "connectors/smtp/curl_library.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace credsweep {
namespace {

CurlLibrary g_curl;

Result<const CurlLibrary*> Load() {
  void* handle = ::dlopen(kCurlLibraryFile, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return Status::FailedPrecondition(std::string("sending mail needs ") + kCurlLibraryFile +
                                      ", which cannot be loaded: " +
                                      (why ? why : "unknown error") +
                                      " (apt-get install libcurl4)");
  }
  std::string missing;
  auto bind = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(handle, name));
    if (fn == nullptr) missing += std::string(missing.empty() ? "" : ", ") + name;
  };
  bind(g_curl.global_init, "curl_global_init");
  bind(g_curl.easy_init, "curl_easy_init");
  bind(g_curl.easy_cleanup, "curl_easy_cleanup");
  bind(g_curl.easy_setopt, "curl_easy_setopt");
  bind(g_curl.easy_perform, "curl_easy_perform");
  bind(g_curl.easy_getinfo, "curl_easy_getinfo");
  bind(g_curl.easy_strerror, "curl_easy_strerror");
  bind(g_curl.slist_append, "curl_slist_append");
  bind(g_curl.slist_free_all, "curl_slist_free_all");
  if (!missing.empty()) {
    return Status::FailedPrecondition(std::string(kCurlLibraryFile) + " lacks " + missing +
                                      " (not the libcurl this credsweep was built with; "
                                      "apt-get install libcurl4)");
  }
  // curl_global_init is not thread-safe before libcurl 7.84; the once-flag serialises it.
  if (const CURLcode rc = g_curl.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    return Status::Internal(std::string("curl_global_init failed: ") + g_curl.easy_strerror(rc));
  }
  return &g_curl;  // never unloaded
}

}  // namespace

Result<const CurlLibrary*> LoadCurl() {
  static std::once_flag once;
  static Result<const CurlLibrary*> loaded = Status::Internal("not loaded");
  std::call_once(once, [] { loaded = Load(); });
  return loaded;
}

}  // namespace credsweep
