#ifndef SILO_CCURL_SHIM_H
#define SILO_CCURL_SHIM_H

#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are C variadic functions, which Swift cannot call;
// these typed wrappers are the only way SiloNotify reaches them. One per argument type libcurl
// documents, so each option gets the exact C type it expects.

static inline CURLcode silo_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode silo_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode silo_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode silo_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode silo_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*silo_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);

static inline CURLcode silo_curl_setopt_callback(CURL *handle, CURLoption option, silo_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode silo_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
